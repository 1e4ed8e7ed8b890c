using System.Diagnostics;
using SockCat.Services.Transfer;

namespace SockCat.Cli.Transfer;

/// <summary>What the server sent first: whether it is a receiver speaking the transfer protocol, and whether it reads chunks.</summary>
/// <param name="Peer">The connection's stream, with whatever was read past the greeting put back in front.</param>
/// <param name="SpeaksProtocol">The server greeted as <c>sockcat recv</c> does.</param>
/// <param name="Chunked">It also listed <c>chunked</c> in its features line (docs/transfer.md).</param>
internal sealed record ReceiverGreeting(Stream Peer, bool SpeaksProtocol, bool Chunked)
{
    /// <summary>
    /// How long to wait, after the greeting, for the features line that comes with it in the same write. Only a receiver
    /// older than the features line makes anyone wait this long; its sender then ends the stream with a half-close.
    /// </summary>
    private static readonly TimeSpan FeaturesWait = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Reads what the server sends first, for at most <paramref name="wait"/>: <c>sockcat recv</c>'s greeting means the
    /// transfer protocol; silence or anything else means a raw port, and what came is kept for the answer printed later.
    /// With <paramref name="wantFeatures"/> (a stream without a size) it also reads the features line after the greeting.
    /// Null when stopped.
    /// </summary>
    public static async Task<ReceiverGreeting?> ReadAsync(Stream stream, TimeSpan wait, bool wantFeatures, CancellationToken stop)
    {
        var buffer = new byte[64 * 1024];
        var got = 0;
        var greeted = false;
        var clock = Stopwatch.StartNew();
        Task<int>? pending = null;
        while (true)
        {
            pending ??= stream.ReadAsync(buffer.AsMemory(got), CancellationToken.None).AsTask();
            var remaining = wait - clock.Elapsed;
            Task finished;
            try
            {
                finished = remaining > TimeSpan.Zero ? await Task.WhenAny(pending, Task.Delay(remaining, stop)).ConfigureAwait(false) : Task.CompletedTask;
            }
            catch (OperationCanceledException)
            {
                return null;
            }

            if (stop.IsCancellationRequested)
            {
                return null;
            }

            if (finished != pending)
            {
                // Silence: a raw port, or a receiver without a features line. The read still pending carries over.
                return After(stream, buffer, greeted, got, pending);
            }

            var n = await pending.ConfigureAwait(false);
            pending = null;
            if (n == 0)
            {
                return After(stream, buffer, greeted, got, Task.FromResult(0));
            }

            got += n;
            if (!greeted)
            {
                switch (TransferWire.MatchesGreeting(buffer.AsSpan(0, got)))
                {
                    case false:
                        return new ReceiverGreeting(new PrefetchedStream(stream, buffer, 0, got, null), false, false);
                    case null:
                        continue;
                }

                greeted = true;
                if (!wantFeatures)
                {
                    return After(stream, buffer, greeted, got, null);
                }

                wait = FeaturesWait;
                clock.Restart();
            }

            var features = TransferWire.ReadFeatures(buffer.AsSpan(TransferWire.Greeting.Length, got - TransferWire.Greeting.Length), out var chunked);
            if (features is { } length)
            {
                // The features line is consumed; what follows it (nothing, before a header is sent) is kept.
                var start = TransferWire.Greeting.Length + length;
                return new ReceiverGreeting(new PrefetchedStream(stream, buffer, start, got - start, null), true, chunked);
            }
        }
    }

    private static ReceiverGreeting After(Stream stream, byte[] buffer, bool greeted, int got, Task<int>? pending)
    {
        var start = greeted ? TransferWire.Greeting.Length : 0;
        return new ReceiverGreeting(new PrefetchedStream(stream, buffer, start, got - start, pending), greeted, false);
    }
}
