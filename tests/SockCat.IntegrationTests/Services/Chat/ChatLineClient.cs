using System.Text;
using SockCat.Testing;

namespace SockCat.IntegrationTests.Services.Chat;

/// <summary>
/// A chat client over a real socket that reads whole lines (IRC's CRLF or the line protocol's LF) with a deadline on
/// every wait, and keeps what it read for failure messages.
/// </summary>
internal sealed class ChatLineClient(TestClient client, string terminator) : IAsyncDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly byte[] _buffer = new byte[8192];
    private readonly List<string> _seen = [];
    private string _pending = "";

    public TestClient Client { get; } = client;

    /// <summary>An IRC client: lines sent with CRLF.</summary>
    public static async Task<ChatLineClient> IrcAsync(LoopbackServer server) => new(await server.ConnectAsync(), "\r\n");

    /// <summary>A telnet or nc user: lines sent with LF.</summary>
    public static async Task<ChatLineClient> LineAsync(LoopbackServer server) => new(await server.ConnectAsync(), "\n");

    public async Task SendAsync(params string[] lines)
    {
        await Client.Stream.WriteAsync(Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + terminator))));
        await Client.Stream.FlushAsync();
    }

    /// <summary>The next line, without its terminator; fails at the deadline or at end of stream.</summary>
    public async Task<string> ReadLineAsync()
    {
        using var cts = new CancellationTokenSource(Deadline);
        while (true)
        {
            var end = _pending.IndexOf('\n');
            if (end >= 0)
            {
                var line = _pending[..end].TrimEnd('\r');
                _pending = _pending[(end + 1)..];
                _seen.Add(line);
                return line;
            }

            int n;
            try
            {
                n = await Client.Stream.ReadAsync(_buffer, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException($"no line within {Deadline.TotalSeconds} s; read so far:\n{Seen()}");
            }

            if (n == 0)
            {
                throw new EndOfStreamException($"the server closed the connection; read so far:\n{Seen()}");
            }

            _pending += Encoding.UTF8.GetString(_buffer, 0, n);
        }
    }

    /// <summary>Reads lines until one satisfies <paramref name="match"/> and returns it.</summary>
    public async Task<string> ExpectAsync(Func<string, bool> match)
    {
        while (true)
        {
            var line = await ReadLineAsync();
            if (match(line))
            {
                return line;
            }
        }
    }

    /// <summary>Reads lines until one contains <paramref name="text"/> and returns it.</summary>
    public Task<string> ExpectAsync(string text) => ExpectAsync(l => l.Contains(text, StringComparison.Ordinal));

    /// <summary>Reads lines until the server ends the stream; returns them.</summary>
    public async Task<List<string>> ReadToEndAsync()
    {
        var lines = new List<string>();
        while (true)
        {
            try
            {
                lines.Add(await ReadLineAsync());
            }
            catch (EndOfStreamException)
            {
                return lines;
            }
            catch (IOException)
            {
                return lines;
            }
        }
    }

    public string Seen() => string.Join('\n', _seen);

    public ValueTask DisposeAsync() => Client.DisposeAsync();
}
