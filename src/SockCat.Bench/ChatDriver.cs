using System.Text;

namespace SockCat.Bench;

/// <summary>
/// <c>sockcat bench chat</c>, for chat servers (<c>sockcat serve chat</c>, <c>ncat --chat</c>): connections are spread over
/// <see cref="BenchOptions.Rooms"/> rooms (connection i in room i mod R); every connection sends its own lines, one write
/// each, and every line must reach every other member of its room, once and in its sender's order, whatever the server
/// puts in front of it (<c>[#r0] &lt;b17&gt; </c> or ncat's <c>&lt;user5&gt; </c>); the server's other lines (welcome, join
/// notices) are skipped. The loop, the line and the measuring are <see cref="FanOutDriver"/>'s; with
/// <see cref="BenchOptions.AlsoUrls"/> the users are spread over several nodes of one chat (<see cref="FanOutDriver.NodeOf"/>),
/// and with <see cref="BenchOptions.LinesPerSecondPerUser"/> they send at that pace.
/// </summary>
/// <remarks>
/// Protocols (<see cref="BenchOptions.ChatProtocol"/>): <c>line</c> sends <c>/nick bN</c> and <c>/join rK</c> first
/// (sockcat's line protocol); <c>ncat</c> sends nothing first (one room, ncat names users itself); <c>irc</c> registers
/// (<c>NICK bN</c>, <c>USER</c>) and joins <c>#rK</c>, sends each line as <c>PRIVMSG #rK :line</c> with CRLF, and reads it
/// back from <c>:bN!… PRIVMSG #rK :line</c> (the same load for <c>serve chat</c> and an IRC server such as ngircd). Before
/// measuring, every client must have received a hello line from another member of its room.
/// </remarks>
internal sealed class ChatDriver : FanOutDriver
{
    private const int MaxLine = 4096;

    private readonly string _protocol;
    private readonly int _rooms;

    private ChatDriver(BenchOptions options)
        : base(options, options.Rooms, options.LinesPerSecondPerUser, options.AlsoUrls, partialSize: MaxLine + 1)
    {
        _protocol = options.ChatProtocol;
        _rooms = options.Rooms;
    }

    protected override string Peer => "other member of their room";

    protected override string Audience => "their whole room";

    public static Task<BenchResult> RunAsync(BenchOptions options, Action<BenchProgress>? progress, CancellationToken cancellationToken) =>
        RunOnThread(() => new ChatDriver(options), "sockcat-bench-chat", progress, cancellationToken);

    protected override void OnConnected(Client client)
    {
        if (_protocol == "line")
        {
            Send(client, Encoding.ASCII.GetBytes($"/nick b{client.Index}\n/join r{client.Room}\n"));
        }
        else if (_protocol == "irc")
        {
            Send(client, Encoding.ASCII.GetBytes($"NICK b{client.Index}\r\nUSER b{client.Index} 0 * :bench\r\nJOIN #r{client.Room}\r\n"));
            client.Frame(Encoding.ASCII.GetBytes($"PRIVMSG #r{client.Room} :"), crlf: true);
        }

        // Read as we go: a server's welcome and join notices must not fill the socket buffers while thousands connect.
        Poll(0);
    }

    protected override Span<byte> OnReceived(Client client, Span<byte> data, long now)
    {
        int end;
        while ((end = data.IndexOf((byte)'\n')) >= 0)
        {
            if (client.Discarding)
            {
                // The end of a long line of the server's own (ncat's list of who is connected): not a sender's line.
                client.Discarding = false;
            }
            else if (end > 0 && data[end - 1] == (byte)'\r')
            {
                // CRLF (IRC): the line as sent ended with LF alone.
                data[end - 1] = (byte)'\n';
                if (!OnLine(client, data[..end], now))
                {
                    return default;
                }
            }
            else if (!OnLine(client, data[..(end + 1)], now))
            {
                return default;
            }

            data = data[(end + 1)..];
        }

        if (data.Length > MaxLine || client.Discarding)
        {
            client.Discarding = true;
            data = default;
        }

        return data;
    }

    private bool OnLine(Client receiver, ReadOnlySpan<byte> line, long now)
    {
        // The sender's line is the end of what arrives; the server's prefix, and its own lines, are not ours to check.
        if (line.Length < LineSize || !FanOutLine.TryParse(line[^LineSize..], out var sender, out var seq, out var sentAt))
        {
            return true;
        }

        if (sender == receiver.Index || sender >= ClientCount || sender % _rooms != receiver.Room)
        {
            Errors.Verify++;
            Errors.Note($"client {receiver.Index} (room {receiver.Room}) received a line of client {sender}, which is {(sender == receiver.Index ? "itself" : "not in its room")}");
            return false;
        }

        return Deliver(receiver, sender, seq, sentAt, line.Length, now);
    }
}
