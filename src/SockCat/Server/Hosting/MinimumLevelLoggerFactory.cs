using Microsoft.Extensions.Logging;

namespace SockCat.Server.Hosting;

/// <summary>
/// Passes Kestrel's own log lines on only from <see cref="LogLevel.Warning"/> up: at Information it reports every
/// connection start and stop in words of its own, which would bury the server's (the seed's) lines.
/// </summary>
internal sealed class MinimumLevelLoggerFactory(ILoggerFactory inner, LogLevel minimum) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new FilteredLogger(inner.CreateLogger(categoryName), minimum);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose()
    {
        // The inner factory belongs to whoever created the server.
    }

    private sealed class FilteredLogger(ILogger inner, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
