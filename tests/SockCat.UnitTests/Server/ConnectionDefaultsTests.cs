using System.Net;
using SockCat.Endpoints;
using SockCat.Server;

namespace SockCat.UnitTests.Server;

/// <summary>
/// IConnection's default members, which a connection that only implements the two-argument Post gets (an in-memory test
/// connection): the state is handed back when the post is refused, and WriteAsync writes through a post.
/// </summary>
public sealed class ConnectionDefaultsTests
{
    [Fact]
    public void PostWithDropped_ConnectionRefusesThePost_HandsStateBackAndReturnsFalse()
    {
        IConnection connection = new QueueingConnection { Closed = true };
        var state = new object();
        object? handedBack = null;

        var posted = connection.Post((_, _) => { }, state, s => handedBack = s);

        Assert.False(posted);
        Assert.Same(state, handedBack);
    }

    [Fact]
    public async Task WriteAsync_PostRuns_WritesAndReturnsTrue()
    {
        var inner = new QueueingConnection();
        IConnection connection = inner;

        var writing = connection.WriteAsync("hi"u8.ToArray());
        Assert.False(writing.IsCompleted);
        inner.RunPosts();

        Assert.True(await writing);
        Assert.Equal("hi"u8.ToArray(), inner.Written.ToArray());
    }

    [Fact]
    public async Task WriteAsync_ConnectionClosed_ReturnsFalse()
    {
        IConnection connection = new QueueingConnection { Closed = true };

        Assert.False(await connection.WriteAsync("hi"u8.ToArray()));
    }

    /// <summary>Implements only what IConnection requires; posts wait until the test runs them.</summary>
    private sealed class QueueingConnection : IConnection
    {
        private readonly Queue<(Action<IConnection, object?> Callback, object? State)> _posts = new();

        public bool Closed { get; init; }

        public MemoryStream Written { get; } = new();

        public long Id => 1;

        public EndPoint? RemoteEndPoint => null;

        public EndPoint? LocalEndPoint => null;

        public EndpointUrl Listener { get; } = EndpointUrl.Parse("tcp://127.0.0.1:1");

        public int PendingOutputBytes => 0;

        public void RunPosts()
        {
            while (_posts.TryDequeue(out var post))
            {
                post.Callback(this, post.State);
            }
        }

        public bool Post(Action<IConnection, object?> callback, object? state)
        {
            if (Closed)
            {
                return false;
            }

            _posts.Enqueue((callback, state));
            return true;
        }

        public void Write(ReadOnlySpan<byte> data) => Written.Write(data);

        public void Advance(int count) => throw new NotSupportedException();

        public Memory<byte> GetMemory(int sizeHint = 0) => throw new NotSupportedException();

        public Span<byte> GetSpan(int sizeHint = 0) => throw new NotSupportedException();

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
    }
}
