using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SockCat.Testing;

/// <summary>
/// Captures every log line a server writes, so tests can assert on the seed's lines, and fails a test whose server
/// logged an Error or Critical it did not expect (Kestrel's TestApplicationErrorLogger, MQTTnet's ThrowIfLogErrors).
/// </summary>
public sealed class ErrorFailingLoggerProvider : ILoggerProvider, ILoggerFactory
{
    private readonly ConcurrentQueue<LogLine> _lines = new();
    private readonly HashSet<string> _allowedErrors = [];

    public IReadOnlyList<LogLine> Lines => _lines.ToArray();

    /// <summary>The messages in order, at Information and above.</summary>
    public IReadOnlyList<string> Messages => _lines.Where(l => l.Level >= LogLevel.Information).Select(l => l.Message).ToList();

    /// <summary>Lets an Error or Critical with this event name pass.</summary>
    public void AllowError(string eventName) => _allowedErrors.Add(eventName);

    public void ThrowIfErrors()
    {
        var errors = _lines.Where(l => l.Level >= LogLevel.Error && !_allowedErrors.Contains(l.EventName ?? "")).ToList();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("The server logged errors:" + Environment.NewLine +
                string.Join(Environment.NewLine, errors.Select(e => $"{e.Level} {e.EventName}: {e.Message} {e.Exception}")));
        }
    }

    /// <summary>Waits until <paramref name="predicate"/> holds for the captured messages, or fails after <paramref name="timeout"/>.</summary>
    public async Task WaitForAsync(Func<IReadOnlyList<string>, bool> predicate, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!predicate(Messages))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what ?? "log lines"}; got:{Environment.NewLine}{string.Join(Environment.NewLine, Messages)}");
            }

            await Task.Delay(10);
        }
    }

    public Task WaitForLineAsync(string line, TimeSpan? timeout = null) => WaitForAsync(m => m.Contains(line), timeout, $"'{line}'");

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(ErrorFailingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => owner._lines.Enqueue(new LogLine(logLevel, eventId.Id, eventId.Name, category, formatter(state, exception), exception));
    }
}

/// <summary>One captured log line.</summary>
public sealed record LogLine(LogLevel Level, int EventId, string? EventName, string Category, string Message, Exception? Exception);
