namespace SockCat.Streams;

/// <summary>One run of a <see cref="StreamBridge"/>: the two directions, the timers, and the first reason to end.</summary>
internal sealed class BridgeRun(Stream input, Stream output, Stream peer, Func<CancellationToken, ValueTask> shutdownPeerSend, StreamBridgeOptions options)
{
    private readonly BridgeEnding _ending = new();
    // Cancelled to abandon a read waiting on the input: when the bridge ends, or when the peer ends and that is enough.
    private readonly CancellationTokenSource _inputWait = new();
    private long _sent;
    private long _received;
    private long _lastActivity = Environment.TickCount64;
    private int _inputEnded;
    private int _peerEnded;
    private int _sendDone;
    private int _receiveDone;
    private int _waitingForInput;

    public async Task<StreamBridgeResult> RunAsync(CancellationToken cancellationToken)
    {
        using var registration = _ending.EndOn(cancellationToken);
        var receive = ReceiveAsync();
        var send = options.Send ? SendAsync() : Task.CompletedTask;
        var idle = options.IdleTimeout is { } limit ? WatchIdleAsync(limit) : Task.CompletedTask;
        var (outcome, error) = await _ending.Ended.ConfigureAwait(false);
        _inputWait.Cancel();
        BridgeEnding.Abandon(receive, send, idle);
        return new StreamBridgeResult(
            outcome,
            Interlocked.Read(ref _sent),
            Interlocked.Read(ref _received),
            Volatile.Read(ref _inputEnded) != 0,
            Volatile.Read(ref _peerEnded) != 0,
            error);
    }

    private async Task SendAsync()
    {
        var buffer = new byte[options.BufferSize];
        try
        {
            while (true)
            {
                // Store, then load (and the reverse in ReceiveAsync): one of the two sides sees the other's flag.
                Interlocked.Exchange(ref _waitingForInput, 1);
                if (options.EndWhenPeerEndsWhileInputWaits && Volatile.Read(ref _peerEnded) != 0)
                {
                    End(StreamBridgeOutcome.PeerEndedWhileInputWaited);
                    return;
                }

                int count;
                try
                {
                    count = await input.ReadAsync(buffer, _inputWait.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_inputWait.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    End(StreamBridgeOutcome.InputFailed, ex);
                    return;
                }
                finally
                {
                    Interlocked.Exchange(ref _waitingForInput, 0);
                }

                if (count == 0)
                {
                    break;
                }

                // Told before the write, so that a dump shows a request before the answer it brings.
                options.Traffic?.OnTraffic(TrafficDirection.Sent, buffer.AsSpan(0, count));
                await peer.WriteAsync(buffer.AsMemory(0, count), _ending.Stop.Token).ConfigureAwait(false);
                Interlocked.Add(ref _sent, count);
                Touch();
            }

            Volatile.Write(ref _inputEnded, 1);
            await peer.FlushAsync(_ending.Stop.Token).ConfigureAwait(false);
            if (options.HalfClose)
            {
                await shutdownPeerSend(_ending.Stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_ending.Stop.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            End(StreamBridgeOutcome.PeerFailed, ex);
            return;
        }

        Volatile.Write(ref _sendDone, 1);
        if (!EndIfBothDone() && options.QuitAfterInputEnd is { } quit)
        {
            await Task.Delay(quit, _ending.Stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            End(StreamBridgeOutcome.QuitAfterInputEnd);
        }
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[options.BufferSize];
        while (true)
        {
            int count;
            try
            {
                count = await peer.ReadAsync(buffer, _ending.Stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_ending.Stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                End(StreamBridgeOutcome.PeerFailed, ex);
                return;
            }

            if (count == 0)
            {
                break;
            }

            Interlocked.Add(ref _received, count);
            options.Traffic?.OnTraffic(TrafficDirection.Received, buffer.AsSpan(0, count));
            Touch();
            if (!options.Receive)
            {
                continue;
            }

            try
            {
                await output.WriteAsync(buffer.AsMemory(0, count), _ending.Stop.Token).ConfigureAwait(false);
                await output.FlushAsync(_ending.Stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_ending.Stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                End(StreamBridgeOutcome.OutputFailed, ex);
                return;
            }
        }

        Interlocked.Exchange(ref _peerEnded, 1);
        Volatile.Write(ref _receiveDone, 1);
        if (EndIfBothDone())
        {
            return;
        }

        if (options.EndWhenPeerEndsWhileInputWaits && Volatile.Read(ref _waitingForInput) != 0)
        {
            End(StreamBridgeOutcome.PeerEndedWhileInputWaited);
        }
    }

    private bool EndIfBothDone()
    {
        // A direction the bridge does not carry counts as ended: without receiving, the bridge ends with its sending.
        var sent = !options.Send || Volatile.Read(ref _sendDone) != 0;
        var received = !options.Receive || Volatile.Read(ref _receiveDone) != 0;
        if (sent && received)
        {
            End(StreamBridgeOutcome.Completed);
            return true;
        }

        return false;
    }

    private async Task WatchIdleAsync(TimeSpan limit)
    {
        var limitMs = (long)limit.TotalMilliseconds;
        while (true)
        {
            var remaining = Volatile.Read(ref _lastActivity) + limitMs - Environment.TickCount64;
            if (remaining <= 0)
            {
                End(StreamBridgeOutcome.IdleTimeout);
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(remaining), _ending.Stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (_ending.Stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    // A plain field write per chunk; the idle watcher reads it when its delay runs out, so there is no timer to reset.
    private void Touch() => Volatile.Write(ref _lastActivity, Environment.TickCount64);

    private void End(StreamBridgeOutcome outcome, Exception? error = null)
    {
        if (_ending.End(outcome, error))
        {
            _inputWait.Cancel();
        }
    }
}
