using System.IO.Pipelines;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Http;
using SockCat.Server;
using SockCat.Server.Hosting;

namespace SockCat.Web;

/// <summary>
/// A descriptor read on the event stream's connection thread: where the listener runs on the engine's epoll loop, the
/// descriptor is attached to the connection under Kestrel's, and each read becomes events written into the response and
/// flushed in the same callback, Kestrel's chunked framing and the loop's write on that thread too: no other thread
/// between the descriptor and the peer. Unlike a WebSocket's frames, the events cannot go to the socket past Kestrel
/// (the response's chunks are its own), so the write lock is kept: a call that finds a write under way, or a flush
/// that cannot complete at once (the peer is slow), stops reading the descriptor until it is done.
/// </summary>
public sealed partial class ServerSentEventsWriter
{
    /// <summary>
    /// Reads <paramref name="descriptor"/> on the stream's connection thread and hands its bytes to
    /// <paramref name="handler"/>, which writes them as events (<see cref="ServerSentEventsBatch"/>), flushed when its
    /// call returns. The descriptor is not read while a flush waits for the peer, so a writer faster than the peer is
    /// held back through it. It is closed when it ends or the connection closes
    /// (<see cref="IServerSentEventsDescriptorHandler.OnEnded"/>). Events written with <see cref="WriteEventAsync"/>
    /// meanwhile are serialized with the handler's.
    /// </summary>
    /// <param name="descriptor">A readable descriptor epoll can watch (a pipe, a FIFO, a socket; not a regular file).</param>
    /// <param name="handler">Turns the bytes into events, and hears of the end.</param>
    /// <returns>
    /// True when the descriptor will be read on the connection's thread; false when the stream's transport has no such
    /// thread (Kestrel's sockets, TLS in between): the descriptor is untouched, for the caller to read.
    /// </returns>
    public bool TryAttachDescriptor(SafeHandle descriptor, IServerSentEventsDescriptorHandler handler)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        ArgumentNullException.ThrowIfNull(handler);
        if (_context.Features.Get<IEpollConnectionFeature>()?.Connection is not { } connection)
        {
            return false;
        }

        var source = new DescriptorSource(this, descriptor, handler);
        connection.Post(static (c, s) => ((DescriptorSource)s!).Attach(c), source, static s => ((DescriptorSource)s!).End("connection closed"));
        return true;
    }

    private void Written(int bytes)
    {
        Volatile.Write(ref _lastWrite, Environment.TickCount64);
        if (_connection is not null)
        {
            Interlocked.Add(ref _connection.BytesSent, bytes);
        }
    }

    /// <summary>The engine's descriptor handler: each read's events written and flushed under the stream's write lock.</summary>
    private sealed class DescriptorSource(ServerSentEventsWriter events, SafeHandle descriptor, IServerSentEventsDescriptorHandler handler) : IDescriptorHandler
    {
        private static readonly Action<IConnection, object?> ResumePosted = static (_, s) => ((DescriptorSource)s!).Resume();
        private readonly ServerSentEventsBatch _batch = new(events._response);
        private IConnection? _connection;
        private IAttachedDescriptor? _attached;
        private Task _writing = Task.CompletedTask;
        private int _ended;

        // Posted: on the connection's thread.
        public void Attach(IConnection connection)
        {
            _connection = connection;
            try
            {
                _attached = connection.AttachDescriptor(descriptor, this);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or NotSupportedException)
            {
                End(e.Message);
            }
        }

        public void OnData(IConnection connection, ReadOnlySpan<byte> data)
        {
            if (events._writeLock.Wait(0))
            {
                _ = Write(data);
                return;
            }

            // A keep-alive comment or an event from elsewhere is being written: this read waits its turn, and no more is
            // read meanwhile.
            var copy = data.ToArray();
            _attached!.Pause();
            _writing = WriteWhenFreeAsync(copy);
        }

        public void OnEnded(IConnection connection, string? error)
        {
            // After the last flush: the handler's end (and what its owner writes next) follows every event.
            var writing = _writing;
            if (writing.IsCompleted)
            {
                End(error);
            }
            else
            {
                _ = writing.ContinueWith((_, s) => ((DescriptorSource)s!).End(error), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        public void End(string? error)
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                handler.OnEnded(error);
            }
        }

        // Under the write lock, which it releases; on the connection's thread. False: the flush waits for the peer, and
        // the descriptor is paused until it is done.
        private bool Write(ReadOnlySpan<byte> data)
        {
            ValueTask<FlushResult> flush;
            try
            {
                _batch.Written = 0;
                handler.OnData(_batch, data);
                flush = events._response.BodyWriter.FlushAsync();
            }
            catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException or IOException or OperationCanceledException)
            {
                // The response has ended (the client went away, the request with it): what is read goes nowhere, and
                // the descriptor is read on to its end.
                events._writeLock.Release();
                return true;
            }
            catch
            {
                events._writeLock.Release();
                throw;
            }

            if (flush.IsCompleted)
            {
                Flushed(flush);
                return true;
            }

            _attached!.Pause();
            _writing = FlushThenResumeAsync(flush);
            return false;
        }

        private async Task WriteWhenFreeAsync(byte[] data)
        {
            await events._writeLock.WaitAsync().ConfigureAwait(false);
            var posted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_connection!.Post(static (_, s) =>
                {
                    var (source, data, posted) = ((DescriptorSource, byte[], TaskCompletionSource))s!;
                    try
                    {
                        if (source.Write(data))
                        {
                            source.Resume();
                        }
                    }
                    finally
                    {
                        posted.TrySetResult();
                    }
                },
                (this, data, posted),
                static s =>
                {
                    var (source, _, posted) = ((DescriptorSource, byte[], TaskCompletionSource))s!;
                    source.ReleaseLock();
                    posted.TrySetResult();
                }))
            {
                return;
            }

            await posted.Task.ConfigureAwait(false);
        }

        private async Task FlushThenResumeAsync(ValueTask<FlushResult> flush)
        {
            try
            {
                await flush.ConfigureAwait(false);
                events.Written(_batch.Written);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
            {
                // The client is gone: the connection closes, and the descriptor with it.
            }
            finally
            {
                events._writeLock.Release();
            }

            _connection!.Post(ResumePosted, this);
        }

        private void Flushed(ValueTask<FlushResult> flush)
        {
            try
            {
                flush.GetAwaiter().GetResult();
                events.Written(_batch.Written);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
            {
            }
            finally
            {
                events._writeLock.Release();
            }
        }

        private void ReleaseLock() => events._writeLock.Release();

        private void Resume()
        {
            if (_attached is { IsAttached: true } attached)
            {
                attached.Resume();
            }
        }
    }
}
