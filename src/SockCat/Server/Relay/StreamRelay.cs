using System.Buffers;
using System.Diagnostics;
using SockCat.Client;
using SockCat.Endpoints;

namespace SockCat.Server.Relay;

/// <summary>
/// <see cref="IConnection.RelayTo"/> through the target's stream, on any transport: the target is connected with
/// <see cref="SocketClient.ConnectAsync"/> (so tls:// is checked as <c>connect</c> checks it), and this protocol takes the
/// connection's place. Input is copied and written to the target one chunk at a time while the connection is not read
/// (one thread-pool hop per chunk); the target's bytes go back through <see cref="IConnection.WriteAsync"/>, which waits
/// while the connection's queue is over its bound. Each direction's end is passed on as a half-close of the other.
/// </summary>
internal sealed class StreamRelay(ServerConnection connection, IConnectionProtocol? previous, EndpointUrl target, RelayOptions options)
    : IConnectionProtocol
{
    private const int ChunkSize = 64 * 1024;

    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly CancellationTokenSource _stop = new();
    private ClientConnection? _client; // set on the connection's thread, in OnTargetConnected
    private byte[]? _pending; // input not yet written to the target, from the pool
    private int _pendingLength;
    private bool _writing;
    private Task _written = Task.CompletedTask; // the write under way, if any
    private bool _inputEnded;
    private Task? _finishing; // the last bytes and the half-close, on their way to the target after input ended
    private long _toTarget;
    private long _fromTarget;
    private ConnectException? _connectError;
    private string? _reason;

    public void Start()
    {
        connection.PauseReading();
        _ = ConnectAsync();
    }

    private async Task ConnectAsync()
    {
        ClientConnection client;
        try
        {
            client = await SocketClient.ConnectAsync(target, options.Connect, _stop.Token).ConfigureAwait(false);
        }
        catch (ConnectException ex)
        {
            connection.Post(static (c, s) =>
            {
                var (relay, error) = ((StreamRelay, ConnectException))s!;
                relay._connectError = error;
                c.Close(relay._reason ??= $"cannot reach {relay.Target}: {error.Message}");
            }, (this, ex));
            return;
        }
        catch (OperationCanceledException)
        {
            return; // the connection closed first
        }

        if (!connection.Post(static (c, s) => ((StreamRelay)((object[])s!)[0]).OnTargetConnected(c, (ClientConnection)((object[])s!)[1]),
                new object[] { this, client }, static s => ((ClientConnection)((object[])s!)[1]).Dispose()))
        {
            return;
        }
    }

    private EndpointUrl Target => target;

    private void OnTargetConnected(IConnection c, ClientConnection client)
    {
        if (_stop.IsCancellationRequested)
        {
            client.Dispose();
            return;
        }

        _client = client;
        Observe(o => o.OnRelayConnected(c, client.RemoteEndPoint));
        _ = PumpFromTargetAsync(client);
        if (_inputEnded)
        {
            Finish();
        }
        else if (_pendingLength > 0)
        {
            StartWrite();
        }
        else
        {
            c.ResumeReading();
        }
    }

    public int OnReceived(IConnection c, ReadOnlySpan<byte> data)
    {
        var need = _pendingLength + data.Length;
        if (_pending is null || _pending.Length < need)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(need, ChunkSize));
            if (_pending is not null)
            {
                _pending.AsSpan(0, _pendingLength).CopyTo(grown);
                ArrayPool<byte>.Shared.Return(_pending);
            }

            _pending = grown;
        }

        data.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength = need;
        // One chunk in flight: the connection is read again once the target has taken it.
        c.PauseReading();
        if (_client is not null && !_writing)
        {
            StartWrite();
        }

        return data.Length;
    }

    public void OnInputEnded(IConnection c, ReadOnlySpan<byte> unconsumed)
    {
        if (!unconsumed.IsEmpty)
        {
            OnReceived(c, unconsumed);
        }

        _inputEnded = true;
        if (_client is not null)
        {
            Finish();
        }
    }

    private void StartWrite()
    {
        var buffer = _pending!;
        var length = _pendingLength;
        _pending = null;
        _pendingLength = 0;
        _writing = true;
        _written = WriteAsync(_client!, buffer, length);
    }

    private async Task WriteAsync(ClientConnection client, byte[] buffer, int length)
    {
        if (await WriteToTargetAsync(client, buffer, length).ConfigureAwait(false))
        {
            connection.Post(static (c, s) => ((StreamRelay)s!).OnWritten(c), this);
        }
    }

    /// <summary>Writes one chunk (and returns the buffer to the pool); false when the target failed, which closes the connection.</summary>
    private async Task<bool> WriteToTargetAsync(ClientConnection client, byte[] buffer, int length)
    {
        try
        {
            await client.Stream.WriteAsync(buffer.AsMemory(0, length), _stop.Token).ConfigureAwait(false);
            Interlocked.Add(ref _toTarget, length);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            Fail($"target {target}: {(ex.InnerException ?? ex).Message.TrimEnd('.')}");
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void OnWritten(IConnection c)
    {
        _writing = false;
        if (_inputEnded)
        {
            return; // Finish took what was left
        }

        if (_pendingLength > 0)
        {
            StartWrite();
        }
        else
        {
            c.ResumeReading();
        }
    }

    /// <summary>
    /// The connection's input ended: the rest goes to the target after the write under way, then the half-close. It runs
    /// to its end even if the connection closes meanwhile (its other direction may be done already).
    /// </summary>
    private void Finish()
    {
        var buffer = _pending;
        var length = _pendingLength;
        _pending = null;
        _pendingLength = 0;
        _finishing = FinishAsync(_client!, _written, buffer, length);
    }

    private async Task FinishAsync(ClientConnection client, Task written, byte[]? buffer, int length)
    {
        await written.ConfigureAwait(false);
        if (buffer is not null && !await WriteToTargetAsync(client, buffer, length).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            await client.ShutdownSendAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            Fail($"target {target}: {ex.Message.TrimEnd('.')}");
        }
    }

    private async Task PumpFromTargetAsync(ClientConnection client)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            while (true)
            {
                var n = await client.Stream.ReadAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    // Posted after the last WriteAsync completed, so it runs after those bytes are queued.
                    connection.Post(static (c, s) =>
                    {
                        if (((ServerConnection)c).CanHalfClose)
                        {
                            c.ShutdownSend();
                        }
                        else
                        {
                            c.Close();
                        }
                    }, null);
                    return;
                }

                Interlocked.Add(ref _fromTarget, n);
                if (!await connection.WriteAsync(buffer.AsMemory(0, n), _stop.Token).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            Fail($"target {target}: {(ex.InnerException ?? ex).Message.TrimEnd('.')}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The target failed: the connection closes after what it was already sent.</summary>
    private void Fail(string reason) =>
        connection.Post(static (c, s) =>
        {
            var (relay, why) = ((StreamRelay, string))s!;
            c.Close(relay._reason ??= why);
        }, (this, reason));

    public void OnWritable(IConnection c) => previous?.OnWritable(c);

    public void OnSlowConsumer(IConnection c, int limitBytes) => previous?.OnSlowConsumer(c, limitBytes);

    public void OnClosed(IConnection c, string? reason)
    {
        previous?.OnClosed(c, reason);
        if (reason is null && _finishing is { IsCompleted: false } finishing)
        {
            // Both directions ended on the client's side while its last bytes were still going to the target.
            finishing.ContinueWith(static (_, s) => ((StreamRelay)((object[])s!)[0]).End((IConnection)((object[])s!)[1], null),
                new object[] { this, c }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return;
        }

        End(c, reason);
    }

    private void End(IConnection c, string? reason)
    {
        _stop.Cancel();
        _client?.Dispose();
        if (_pending is not null)
        {
            ArrayPool<byte>.Shared.Return(_pending);
            _pending = null;
        }

        var result = new RelayResult
        {
            Target = target,
            BytesToTarget = Interlocked.Read(ref _toTarget),
            BytesFromTarget = Interlocked.Read(ref _fromTarget),
            Duration = Stopwatch.GetElapsedTime(_started),
            ConnectError = _connectError,
            Reason = _reason ?? reason,
        };
        Observe(o => o.OnRelayEnded(c, result));
    }

    private void Observe(Action<IRelayObserver> call)
    {
        if (options.Observer is { } observer)
        {
            try
            {
                call(observer);
            }
            catch (Exception ex)
            {
                ServerLog.ProtocolFailed(connection.Host.Logger, connection.Id, connection.Peer, ex);
            }
        }
    }
}
