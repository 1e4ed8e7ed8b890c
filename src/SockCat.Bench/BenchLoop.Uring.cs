using System.Diagnostics;
using System.Runtime.InteropServices;
using SockCat.Internal.Interop;
using static SockCat.Internal.Interop.LinuxSockets;

namespace SockCat.Bench;

// The io_uring driver of pingpong and stream traffic. Why not epoll: with epoll this loop made exactly the C client's
// syscalls and still drove 0.95x of its load against the C server, the rest being the kernel's tax on a
// multi-threaded process (an atomic file reference per socket syscall, fdget, since every .NET process shares its fd
// table). Here the sockets are registered files (no fdget), each connection's receive is one multishot recv that stays
// armed (no re-arm, no poll set-up per message), and a loop turn's sends go to the kernel in the same io_uring_enter that
// waits for the next completions.
internal sealed unsafe partial class BenchLoop
{
    private const ushort BufferGroup = 0;
    private const ulong OpRecv = 0;
    private const ulong OpSend = 1;

    // Receive buffers of one loop, all connections together: the bound on what the multishot receives may fill at once.
    private const long MaxBufferBytes = 32L * 1024 * 1024;

    private readonly bool _useRing;
    private UringRing? _ring;

    // Pingpong with window 1: the next message is sent only after the previous one's echo, which proves that send
    // complete; so sends skip their completion on success (IOSQE_CQE_SKIP_SUCCESS) and only a failure posts one.
    private bool _silentSends;

    /// <summary>True once this loop's connections moved to its io_uring.</summary>
    public bool RanRing { get; private set; }

    // Every connection is open (or failed): hand them to a ring, and drive them there until the coordinator says Exit.
    private void RunRing(BenchPhase seenPhase)
    {
        // The epoll set would still be woken by every packet of every socket it watches: close it.
        LinuxSockets.Close(_epfd);
        _epfd = -1;

        var count = _conns.Length;

        // Each completion fills one buffer: a buffer holds what a connection can have in flight (up to 64 KiB), and
        // there are two per connection, within MaxBufferBytes. Fewer only means some receives wait (ENOBUFS, re-armed).
        long need = _options.Mode == BenchMode.PingPong ? (long)_window * _size : _options.InFlightBytes;
        var bufferSize = (int)Math.Clamp((need + 63) & ~63L, 256, BenchPattern.MaxChunk);
        var bufferCount = (int)RoundUpToPowerOfTwo(Math.Clamp(2 * count, 64, 32768));
        while ((long)bufferCount * bufferSize > MaxBufferBytes && bufferSize > 4096)
        {
            bufferSize /= 2;
        }

        while ((long)bufferCount * bufferSize > MaxBufferBytes && bufferCount > 64)
        {
            bufferCount /= 2;
        }

        // A turn's completions: at most one per filled buffer (buffers come back only between turns), plus a send and
        // an ended receive per connection. Up to the kernel's 65,536, the CQ holds them all; past it the kernel keeps the
        // rest in its overflow list (IORING_FEAT_NODROP) until they fit.
        var ring = _ring = UringRing.Create(
            RoundUpToPowerOfTwo(Math.Clamp(2 * count, 64, 4096)),
            RoundUpToPowerOfTwo((int)Math.Clamp(bufferCount + (2L * count) + 64, 256, 65536)));
        RanRing = true;

        var fds = (int*)NativeMemory.Alloc((nuint)Math.Max(count, 1), sizeof(int));
        try
        {
            for (var j = 0; j < count; j++)
            {
                fds[j] = _conns[j].State == State.Open ? _conns[j].Fd : -1;
            }

            ring.RegisterFiles(fds, (uint)count);
        }
        finally
        {
            NativeMemory.Free(fds);
        }

        ring.SetupBuffers(BufferGroup, bufferCount, bufferSize);
        _silentSends = _options.Mode == BenchMode.PingPong && _window == 1;

        for (var j = 0; j < count; j++)
        {
            ref var c = ref _conns[j];
            if (c.State == State.Open)
            {
                ArmRecv(j);
                SendRing(ref c, j);
            }
        }

        // A bounded wait, so a phase change or the exit is seen within 10 ms even when no echo comes.
        var timeout = new KernelTimespec { Nanoseconds = 10_000_000 };
        while (true)
        {
            var phase = _control.Phase;
            if (phase != seenPhase)
            {
                seenPhase = phase;
                OnPhase(phase);
                if (phase == BenchPhase.Exit)
                {
                    return;
                }

            }

            ring.Enter(1, &timeout);
            Reap(ring);

            var now = Stopwatch.GetTimestamp();
            var scanEvery = phase >= BenchPhase.Stop ? Stopwatch.Frequency / 1000 : Stopwatch.Frequency / 100;
            if (now - _lastScan >= scanEvery)
            {
                _lastScan = now;
                Scan(now, phase);
            }
        }
    }

    private void Reap(UringRing ring)
    {
        var head = ring.CqHead;
        var tail = ring.CqTail;
        while (head != tail)
        {
            for (; head != tail; head++)
            {
                var cqe = ring.Cqe(head);
                Complete(ring, cqe->UserData, cqe->Res, cqe->Flags);

                // Handed back at once: completing may submit (a full SQ), and the kernel may then post into this slot.
                ring.CqAdvance(head + 1);
            }

            // A full SQ submitted while completing may have posted more (inline sends).
            tail = ring.CqTail;
        }
    }

    private void Complete(UringRing ring, ulong userData, int res, uint flags)
    {
        var j = (int)(userData >> 1);
        ref var c = ref _conns[j];
        if ((userData & 1) == OpSend)
        {
            // A silent send posts a completion only when it failed (MSG_WAITALL: an error, after res bytes if res > 0).
            c.SendLen = 0;
            c.SendSilent = false;
            if (c.State != State.Open)
            {
                return;
            }

            if (res > 0)
            {
                // MSG_WAITALL: the kernel retries a short send itself, so res < len only when an error followed; the
                // next send of the rest reports it.
                c.SendPos += res;
                SendRing(ref c, j);
            }
            else if (res is -EINTR or -EAGAIN)
            {
                SendRing(ref c, j);
            }
            else
            {
                Fail(ref c, $"send() failed after {c.SendPos} bytes: {(res == 0 ? "nothing sent" : ErrnoText.Of(-res))}", verify: false);
            }

            return;
        }

        if ((flags & IORING_CQE_F_BUFFER) != 0)
        {
            var id = (int)(flags >> IORING_CQE_BUFFER_SHIFT);
            if (res > 0 && c.State == State.Open)
            {
                OnData(ref c, j, ring.Buffer(id), res);
            }

            ring.RecycleBuffer(id);
        }

        if (c.State != State.Open)
        {
            return;
        }

        if (res == 0)
        {
            Fail(ref c, $"the server closed a connection after echoing {c.RecvPos} of {c.SendPos} bytes", verify: false);
        }
        else if (res < 0 && res is not (-ENOBUFS or -EINTR or -EAGAIN))
        {
            Fail(ref c, $"recv() failed after {c.RecvPos} bytes: {ErrnoText.Of(-res)}", verify: false);
        }
        else if ((flags & IORING_CQE_F_MORE) == 0)
        {
            // The multishot receive ended (out of buffers, or the kernel stopped it): arm it again.
            ArmRecv(j);
        }
    }

    private void ArmRecv(int j)
    {
        var sqe = _ring!.NextSqe();
        sqe->Opcode = IORING_OP_RECV;
        sqe->Flags = IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
        sqe->IoPrio = IORING_RECV_MULTISHOT;
        sqe->Fd = j;
        sqe->BufGroup = BufferGroup;
        sqe->UserData = ((ulong)j << 1) | OpRecv;
    }

    // One send in flight per connection: two could complete out of order once the socket's buffer fills.
    private void SendRing(ref Conn c, int j)
    {
        if (c.SendLen != 0 || c.SendPos >= c.SendTarget)
        {
            return;
        }

        var len = (int)Math.Min(c.SendTarget - c.SendPos, BenchPattern.MaxChunk);
        var start = (int)((c.SendPos + c.Offset) % BenchPattern.Period);
        var sqe = _ring!.NextSqe();
        sqe->Opcode = IORING_OP_SEND;
        sqe->Flags = IOSQE_FIXED_FILE;
        sqe->Fd = j;
        sqe->Addr = (ulong)(BenchPattern.Pointer + start);
        sqe->Len = (uint)len;
        sqe->MsgFlags = MSG_NOSIGNAL | MSG_WAITALL;
        sqe->UserData = ((ulong)j << 1) | OpSend;
        c.SendLen = len;
        if (_silentSends)
        {
            sqe->Flags |= IOSQE_CQE_SKIP_SUCCESS;
            c.SendSilent = true;
        }
    }

    private void Send(ref Conn c, int j)
    {
        if (_ring is not null)
        {
            SendRing(ref c, j);
        }
        else
        {
            Flush(ref c);
        }
    }

    private static uint RoundUpToPowerOfTwo(int n) => System.Numerics.BitOperations.RoundUpToPowerOf2((uint)n);
}
