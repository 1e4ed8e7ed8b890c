using System.Net.Sockets;
using SockCat.Endpoints;

namespace SockCat.Server.Transport;

/// <summary>The epoll side of a <see cref="SockCatServer"/>: its listening sockets and its loop threads.</summary>
internal sealed class EpollTransport
{
    private readonly SockCatServer _server;
    private readonly List<EpollListener> _listeners = [];
    private EpollLoop[] _loops = [];

    public EpollTransport(SockCatServer server) => _server = server;

    /// <summary>Binds every endpoint (all or none), then starts the loops; returns the bound URLs in order.</summary>
    public IReadOnlyList<EndpointUrl> Start(IReadOnlyList<EndpointUrl> urls)
    {
        var bound = new List<EndpointUrl>();
        try
        {
            foreach (var url in urls)
            {
                var socket = ListenSockets.Listen(url, ListenSockets.Resolve(url), _server.Options.ListenBacklog);
                var boundUrl = ListenSockets.BoundUrl(url, socket.LocalEndPoint);
                _listeners.Add(new EpollListener(_listeners.Count, boundUrl, socket));
                bound.Add(boundUrl);
            }

            var count = _server.Options.SingleClient ? 1 : Math.Max(1, _server.Options.LoopCount ?? ServerOptions.DefaultLoopCount);
            var listeners = _listeners.ToArray();
            _loops = new EpollLoop[count];
            for (var i = 0; i < count; i++)
            {
                _loops[i] = new EpollLoop(_server, i, listeners);
            }
        }
        catch
        {
            CloseListeners();
            throw;
        }

        foreach (var loop in _loops)
        {
            loop.Start();
        }

        return bound;
    }

    /// <summary>Stops accepting on every loop, then closes the listening sockets (and removes unix socket files).</summary>
    public async Task StopAcceptingAsync()
    {
        foreach (var loop in _loops)
        {
            loop.RequestStopAccepting();
        }

        await Task.WhenAll(_loops.Select(l => l.AcceptingStopped)).ConfigureAwait(false);
        CloseListeners();
    }

    /// <summary>Closes every connection left, with <paramref name="reason"/>, and ends the loop threads.</summary>
    public async Task ExitAsync(string reason)
    {
        foreach (var loop in _loops)
        {
            loop.RequestExit(reason);
        }

        await Task.WhenAll(_loops.Select(l => l.Exited)).ConfigureAwait(false);
        CloseListeners();
    }

    private void CloseListeners()
    {
        foreach (var listener in _listeners)
        {
            listener.Socket.Dispose();
            if (listener.IsUnix)
            {
                TryDelete(listener.Url.Path);
            }
        }

        _listeners.Clear();
    }

    internal static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
