using System.Net;
using SockCat.Endpoints;
using SockCat.Server;

namespace SockCat.Benchmarks;

/// <summary>
/// An <see cref="IConnection"/> whose output lands in one preallocated array, standing in for a socket that takes every
/// byte at once: a benchmark reads <see cref="Written"/> after each message and calls <see cref="Reset"/>, which is
/// where the engine would send. Nothing here allocates after construction, so whatever a benchmark's "Allocated" column
/// shows belongs to the code under test.
/// </summary>
internal sealed class InMemoryConnection : IConnection
{
    private readonly byte[] _output;
    private int _written;

    public InMemoryConnection(int capacity) => _output = new byte[capacity];

    public long Id => 1;

    public EndpointUrl Listener { get; } = EndpointUrl.Parse("tcp://127.0.0.1:4444");

    public EndPoint? RemoteEndPoint { get; } = new IPEndPoint(IPAddress.Loopback, 40000);

    public EndPoint? LocalEndPoint { get; } = new IPEndPoint(IPAddress.Loopback, 7);

    public int PendingOutputBytes => _written;

    /// <summary>What the protocol wrote since the last <see cref="Reset"/>.</summary>
    public ReadOnlySpan<byte> Written => _output.AsSpan(0, _written);

    public void Reset() => _written = 0;

    public void Write(ReadOnlySpan<byte> data)
    {
        data.CopyTo(_output.AsSpan(_written));
        _written += data.Length;
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => _output.AsMemory(_written);

    public Span<byte> GetSpan(int sizeHint = 0) => _output.AsSpan(_written);

    public void Advance(int count) => _written += count;

    public void ShutdownSend()
    {
    }

    public void Close(string? reason = null)
    {
    }

    public void Abort(string reason)
    {
    }

    public void PauseReading()
    {
    }

    public void ResumeReading()
    {
    }

    // The engine runs a posted callback on the connection's own thread; here the caller's thread is that thread.
    public bool Post(Action<IConnection, object?> callback, object? state)
    {
        callback(this, state);
        return true;
    }
}
