namespace SockCat.Server.Transport;

/// <summary>
/// The epoll side of a server: its listening sockets and its loop threads. It is handed the <see cref="ServerHost"/> it
/// serves and the listeners to bind; it knows nothing above them.
/// </summary>
internal sealed class EpollTransport(ServerHost host)
{
    private readonly List<EpollListener> _listeners = [];
    private EpollLoop[] _loops = [];

    /// <summary>Binds every listener (all or none), setting each one's bound URL, then starts the loops.</summary>
    public void Start(IReadOnlyList<ListenerBinding> bindings)
    {
        try
        {
            foreach (var binding in bindings)
            {
                var url = binding.Url;
                var socket = ListenSockets.Listen(url, ListenSockets.Resolve(url), host.Options.ListenBacklog);
                binding.BoundUrl = ListenSockets.BoundUrl(url, socket.LocalEndPoint);
                _listeners.Add(new EpollListener(_listeners.Count, binding, socket));
            }

            var count = host.Options.SingleClient ? 1 : Math.Max(1, host.Options.LoopCount ?? ServerOptions.DefaultLoopCount);
            var listeners = _listeners.ToArray();
            _loops = new EpollLoop[count];
            for (var i = 0; i < count; i++)
            {
                _loops[i] = new EpollLoop(host, i, listeners);
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
