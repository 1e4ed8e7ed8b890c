using System.Runtime.InteropServices;
using SockCat.Internal.Interop;

namespace SockCat.Server.Transport;

/// <summary>
/// The relay's splice(2) path (RelayOptions.Splice): each side's input moves socket → pipe → the other side's socket
/// inside the kernel, never through the loop's buffer. The pipe belongs to the side the bytes go to and is its queue:
/// made on first use, at most <see cref="SpliceChunk"/> bytes in it; the reading side holds off while it is over half
/// full and reads again at half, as the copy path's queue does, so a slow side pauses the fast one.
/// </summary>
internal sealed unsafe partial class EpollConnection
{
    private int _pipeRead = -1;
    private int _pipeWrite = -1;
    private int _pipeBytes; // bytes spliced into the pipe and not yet out of it
    private int _pipeCapacity;

    /// <summary>Output not yet sent: the queue and, on the splice path, the pipe.</summary>
    private bool OutputEmpty => _output.IsEmpty && _pipeBytes == 0;

    private bool Splicing => (_flags & FlagSplice) != 0;

    /// <summary>The most spliced in one call: the pipe's capacity, and never more than the output bound.</summary>
    private int SpliceChunk => Math.Min(_pipeCapacity, MaxOutput);

    /// <summary>Whether this side's input can go to <paramref name="partner"/> by splice now; opens the partner's pipe on first use.</summary>
    private bool CanSpliceTo(EpollConnection partner)
    {
        if (!partner._output.IsEmpty || partner.IsClosed || (partner._flags & (FlagShutdownRequested | FlagSendShut | FlagCloseRequested)) != 0)
        {
            // Queued bytes go first (what the protocol left before the relay), and a side that takes no more is read by
            // the copy path, which drops what it reads.
            return false;
        }

        if (partner._pipeRead >= 0)
        {
            return true;
        }

        var fds = stackalloc int[2];
        if (LinuxSockets.Pipe2(fds, LinuxSockets.O_NONBLOCK | LinuxSockets.O_CLOEXEC) != 0)
        {
            // Out of descriptors (or pipe pages): this pair goes on copying, which needs none.
            _flags &= ~FlagSplice;
            partner._flags &= ~FlagSplice;
            return false;
        }

        partner._pipeRead = fds[0];
        partner._pipeWrite = fds[1];
        // As large as the output bound, so that a splice moves as much as the copy path may queue; a user over the
        // pipe-user-pages limits keeps the 64 KiB default (the call fails, and the size is read back either way).
        LinuxSockets.Fcntl(fds[0], LinuxSockets.F_SETPIPE_SZ, Math.Min(MaxOutput, 1 << 20));
        var capacity = LinuxSockets.Fcntl(fds[0], LinuxSockets.F_GETPIPE_SZ, 0);
        partner._pipeCapacity = capacity > 0 ? capacity : 4096;
        return true;
    }

    private void SpliceReadable()
    {
        var partner = _partner!;
        for (var i = 0; i < RelayReadsPerEvent && CanSpliceTo(partner); i++)
        {
            var want = partner.SpliceChunk - partner._pipeBytes;
            if (want <= 0)
            {
                // A full pipe (its capacity read back smaller than thought): splice would return 0, which reads as end of input.
                _flags |= FlagRelayHold;
                break;
            }

            var n = LinuxSockets.Splice(Fd, partner._pipeWrite, want, LinuxSockets.SPLICE_F_MOVE | LinuxSockets.SPLICE_F_NONBLOCK);
            if (n > 0)
            {
                BytesReceived += n;
                LastActivity = _loop.Now;
                partner._pipeBytes += (int)n;
                partner.SpliceOut();
                if (partner._errorReason is not null)
                {
                    partner.AfterCall();
                    break;
                }

                if (partner._pipeBytes > 0)
                {
                    partner.UpdateInterest();
                    if (partner._pipeBytes > partner.SpliceChunk / 2)
                    {
                        // The partner's peer is slow: read again once its pipe is back under half.
                        _flags |= FlagRelayHold;
                        break;
                    }
                }

                if (n < want)
                {
                    break;
                }

                continue;
            }

            if (n == 0)
            {
                _flags |= FlagInputEnded;
                partner.RelayShutdown();
                break;
            }

            var errno = LinuxSockets.LastError;
            if (errno == LinuxSockets.EINTR)
            {
                continue;
            }

            if (errno == LinuxSockets.EINVAL)
            {
                // This kind of socket cannot be spliced: the pair copies from now on (level-triggered, it is read again).
                _flags &= ~FlagSplice;
                partner._flags &= ~FlagSplice;
            }
            else if (errno != LinuxSockets.EAGAIN)
            {
                _errorReason = Marshal.GetPInvokeErrorMessage(errno);
            }
            else if (partner._pipeBytes > 0)
            {
                // A pipe fills by its slots (a page each) as well as its bytes: with bytes in it, EAGAIN may mean a full
                // pipe, not an empty socket. Wait for the partner to send some (its EPOLLOUT is armed) rather than spin.
                _flags |= FlagRelayHold;
            }

            break;
        }

        AfterCall();
    }

    /// <summary>Sends what the pipe holds, as far as the peer takes it; an error is left in _errorReason for the caller's AfterCall.</summary>
    private void SpliceOut()
    {
        while (_pipeBytes > 0)
        {
            var n = LinuxSockets.Splice(_pipeRead, Fd, _pipeBytes, LinuxSockets.SPLICE_F_MOVE | LinuxSockets.SPLICE_F_NONBLOCK);
            if (n > 0)
            {
                BytesSent += n;
                LastActivity = _loop.Now;
                _pipeBytes -= (int)n;
                continue;
            }

            var errno = n < 0 ? LinuxSockets.LastError : 0;
            if (errno == LinuxSockets.EINTR)
            {
                continue;
            }

            if (errno != LinuxSockets.EAGAIN)
            {
                // The caller's AfterCall closes this side (and with it the pair).
                _errorReason = n < 0 ? Marshal.GetPInvokeErrorMessage(errno) : "splice sent nothing";
            }

            return;
        }
    }

    private void ClosePipe()
    {
        if (_pipeRead >= 0)
        {
            LinuxSockets.Close(_pipeRead);
            LinuxSockets.Close(_pipeWrite);
            _pipeRead = _pipeWrite = -1;
            _pipeBytes = 0;
        }
    }
}
