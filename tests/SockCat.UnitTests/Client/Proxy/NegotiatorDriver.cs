using System.Buffers;
using SockCat.Client.Proxy;

namespace SockCat.UnitTests.Client.Proxy;

/// <summary>Drives a negotiator as a proxy would answer it, one byte at a time, and records what the client sent.</summary>
internal sealed class NegotiatorDriver(ProxyNegotiator negotiator)
{
    private readonly ArrayBufferWriter<byte> _output = new();

    public ProxyNegotiator Negotiator => negotiator;

    /// <summary>Starts, and returns what the client says first.</summary>
    public byte[] Start()
    {
        negotiator.Start(_output);
        return Take();
    }

    /// <summary>Feeds <paramref name="answer"/> one byte at a time, checking each is wanted, and returns what the client said back.</summary>
    public byte[] Answer(params byte[] answer)
    {
        foreach (var b in answer)
        {
            Assert.True(negotiator.Wanted >= 1, $"the negotiator wanted nothing more, and the proxy's answer has {answer.Length} bytes");
            negotiator.Receive([b], _output);
        }

        return Take();
    }

    private byte[] Take()
    {
        var bytes = _output.WrittenSpan.ToArray();
        _output.ResetWrittenCount();
        return bytes;
    }
}
