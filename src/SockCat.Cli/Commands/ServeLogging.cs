using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace SockCat.Cli.Commands;

/// <summary>
/// The serve verbs' log output. Text: the message alone, one per line, as the seed's server printed it
/// ("Connection accepted from 127.0.0.1:42203"); Information on stdout, warnings and errors on stderr prefixed
/// "sockcat: ". JSON (<c>--log-format json</c>): one object per line on stdout with time, level, event id and name,
/// message and the message's fields. Lines are queued and written by one background task, so a loop thread never
/// waits on a terminal unless ten thousand lines are already waiting.
/// </summary>
internal sealed class ServeLoggerProvider : ILoggerProvider
{
    private readonly TextWriter _output;
    private readonly TextWriter _error;
    private readonly bool _json;
    private readonly LogLevel _minimum;
    private readonly Channel<(string Line, bool ToError)> _lines =
        Channel.CreateBounded<(string, bool)>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
    private readonly Task _writer;

    public ServeLoggerProvider(TextWriter output, TextWriter error, bool json, LogLevel minimum)
    {
        _output = output;
        _error = error;
        _json = json;
        _minimum = minimum;
        _writer = Task.Run(WriteLinesAsync);
    }

    public ILogger CreateLogger(string categoryName) => new ServeLogger(this, categoryName);

    /// <summary>Writes what is queued and stops the writer.</summary>
    public void Dispose()
    {
        _lines.Writer.TryComplete();
        _writer.Wait(TimeSpan.FromSeconds(5));
    }

    private void Enqueue(string line, bool toError)
    {
        if (!_lines.Writer.TryWrite((line, toError)))
        {
            // Full: wait rather than drop; the seed's lines are the server's record of who came and went.
            _lines.Writer.WriteAsync((line, toError)).AsTask().Wait();
        }
    }

    private async Task WriteLinesAsync()
    {
        var reader = _lines.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            bool wroteOut = false, wroteError = false;
            while (reader.TryRead(out var item))
            {
                (item.ToError ? _error : _output).WriteLine(item.Line);
                wroteOut |= !item.ToError;
                wroteError |= item.ToError;
            }

            if (wroteOut)
            {
                _output.Flush();
            }

            if (wroteError)
            {
                _error.Flush();
            }
        }
    }

    private sealed class ServeLogger(ServeLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= provider._minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var message = formatter(state, exception);
            if (provider._json)
            {
                provider.Enqueue(FormatJson(logLevel, eventId, category, message, state, exception), toError: false);
                return;
            }

            if (logLevel <= LogLevel.Information)
            {
                provider.Enqueue(message, toError: false);
                return;
            }

            // One line, as every error of sockcat's: the exception's own message, never its stack trace (--log-format json keeps it).
            var line = exception is null || logLevel < LogLevel.Error ? $"sockcat: {message}" : $"sockcat: {message}: {exception.GetType().Name}: {exception.Message.ReplaceLineEndings(" ")}";
            provider.Enqueue(line, toError: true);
        }

        private static string FormatJson<TState>(LogLevel level, EventId eventId, string category, string message, TState state, Exception? exception)
        {
            var buffer = new ArrayBufferWriter<byte>(256);
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteString("time", DateTimeOffset.UtcNow);
                json.WriteString("level", level.ToString());
                json.WriteNumber("eventId", eventId.Id);
                if (eventId.Name is not null)
                {
                    json.WriteString("event", eventId.Name);
                }

                json.WriteString("category", category);
                json.WriteString("message", message);
                if (state is IReadOnlyList<KeyValuePair<string, object?>> fields)
                {
                    foreach (var (key, value) in fields)
                    {
                        if (key == "{OriginalFormat}")
                        {
                            continue;
                        }

                        var name = key.Length > 0 ? char.ToLowerInvariant(key[0]) + key[1..] : key;
                        switch (value)
                        {
                            case int or long or short or byte or uint or ulong:
                                json.WriteNumber(name, Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                                break;
                            case bool b:
                                json.WriteBoolean(name, b);
                                break;
                            case null:
                                json.WriteNull(name);
                                break;
                            default:
                                json.WriteString(name, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                                break;
                        }
                    }
                }

                if (exception is not null)
                {
                    json.WriteString("exception", exception.ToString());
                }

                json.WriteEndObject();
            }

            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
    }
}
