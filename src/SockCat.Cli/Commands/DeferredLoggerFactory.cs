using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SockCat.Cli.Commands;

/// <summary>
/// A logger factory to hand out before the serve command's own exists (the Redis bus connects before the server is made):
/// its loggers write to <see cref="Target"/> while it is set, and drop what comes before and after (set it back to null
/// before the target is disposed).
/// </summary>
internal sealed class DeferredLoggerFactory : ILoggerFactory
{
    public ILoggerFactory? Target { get; set; }

    public ILogger CreateLogger(string categoryName) => new DeferredLogger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    private sealed class DeferredLogger(DeferredLoggerFactory factory, string category) : ILogger
    {
        private ILogger? _inner;

        private ILoggerFactory? _innerFactory;

        private ILogger Inner
        {
            get
            {
                if (factory.Target is not { } target)
                {
                    return NullLogger.Instance;
                }

                if (!ReferenceEquals(_innerFactory, target))
                {
                    try
                    {
                        _inner = target.CreateLogger(category);
                    }
                    catch (ObjectDisposedException)
                    {
                        return NullLogger.Instance;   // the command is ending: nothing is written any more
                    }

                    _innerFactory = target;
                }

                return _inner!;
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => Inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => Inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Inner.Log(logLevel, eventId, state, exception, formatter);
    }
}
