namespace SockCat.Bench;

/// <summary>
/// <c>sockcat bench broadcast</c>, for brokers (<c>sockcat serve broker</c>, <c>ncat --broker</c>): every client sends
/// its own lines of <see cref="BenchOptions.MessageSize"/> bytes, one write each, and every line must reach every other
/// client, whole, once, and in its sender's order: a <see cref="FanOutDriver"/> of one room, whose server sends nothing
/// but the clients' lines, byte for byte.
/// </summary>
/// <remarks>
/// Before measuring, every client must have received a hello line from another: a broker that registers members as it
/// accepts them cannot then miss a measured line for a member it has not seen yet.
/// </remarks>
internal sealed class BroadcastDriver : FanOutDriver
{
    private BroadcastDriver(BenchOptions options)
        : base(options, rooms: 1, linesPerSecondPerUser: 0, alsoUrls: [], partialSize: options.MessageSize)
    {
    }

    protected override string Peer => "other client";

    protected override string Audience => "every other client";

    public static Task<BenchResult> RunAsync(BenchOptions options, Action<BenchProgress>? progress, CancellationToken cancellationToken) =>
        RunOnThread(() => new BroadcastDriver(options), "sockcat-bench-broadcast", progress, cancellationToken);

    protected override Span<byte> OnReceived(Client client, Span<byte> data, long now)
    {
        // Every line is a client's, of the one size: no searching for newlines.
        var whole = data.Length - data.Length % LineSize;
        for (var at = 0; at < whole; at += LineSize)
        {
            if (!OnLine(client, data.Slice(at, LineSize), now))
            {
                return default;
            }
        }

        return data[whole..];
    }

    private bool OnLine(Client receiver, ReadOnlySpan<byte> line, long now)
    {
        if (!FanOutLine.TryParse(line, out var sender, out var seq, out var sentAt) || sender == receiver.Index || sender >= ClientCount)
        {
            Errors.Verify++;
            Errors.Note($"client {receiver.Index} received a line that is not one sent by another client: '{System.Text.Encoding.ASCII.GetString(line).TrimEnd('\n')}'");
            return false;
        }

        return Deliver(receiver, sender, seq, sentAt, line.Length, now);
    }
}
