using SockCat.Internal.Interop;

namespace SockCat.Server.Transport;

/// <summary>Ending: half-close, close and abort requested by a protocol, and the close itself.</summary>
internal sealed unsafe partial class EpollConnection
{
    /// <summary>Closes on the loop's thread outside a protocol call: idle timeout, shutdown, a posted close.</summary>
    public void CloseFromLoop(string reason)
    {
        if (!IsClosed)
        {
            CloseNow(reason, abortive: !OutputEmpty, imposed: true);
        }
    }

    private void CloseNow(string? reason, bool abortive, bool imposed)
    {
        if (IsClosed)
        {
            return;
        }

        _flags |= FlagClosed;
        EndLent();
        if (abortive)
        {
            // Unsent output is dropped with an RST at once instead of lingering in the kernel for a peer that is not reading.
            var linger = new LinuxSockets.Linger { OnOff = 1, Seconds = 0 };
            LinuxSockets.SetSockOpt(Fd, LinuxSockets.SOL_SOCKET, LinuxSockets.SO_LINGER, &linger, sizeof(LinuxSockets.Linger));
        }

        CloseDescriptors();
        CloseDescriptorWriters();
        _loop.Detach(this);
        LinuxSockets.Close(Fd);
        ClosePipe();
        _output.Release();
        _input.Release();
        if (_writers is not null)
        {
            while (_writers.TryDequeue(out var writer))
            {
                writer.Complete(false);
            }
        }

        if ((_flags & FlagOutbound) == 0)
        {
            Host.Closed(this, reason, imposed);
            NotifyClosed(_protocol, reason);
        }

        _relay?.OnSideClosed(this, reason);
    }

    private void ProtocolFailed(Exception ex)
    {
        ServerLog.ProtocolFailed(Host.Logger, Id, Peer, ex);
        _abortReason ??= $"protocol error: {ex.GetType().Name}";
    }

    public override void ShutdownSend() => _flags |= FlagShutdownRequested;

    public override void Close(string? reason = null)
    {
        _flags |= FlagCloseRequested;
        _closeReason ??= reason;
    }

    public override void Abort(string reason) => _abortReason ??= reason;
}
