using System.CommandLine;
using System.Text;

namespace SockCat.Cli.Tests;

/// <summary>Runs `sockcat` in process with substituted stdin, stdout and stderr.</summary>
internal static class CliRun
{
    public static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    public static Task<CliResult> InvokeAsync(params string[] args) => InvokeAsync(new MemoryStream(), args);

    public static Task<CliResult> InvokeAsync(byte[] stdin, params string[] args) => InvokeAsync(new MemoryStream(stdin), args);

    /// <summary>Through <see cref="SockCatCommand.InvokeAsync"/>, as Program.cs runs it.</summary>
    public static async Task<CliResult> InvokeAsync(Stream stdin, params string[] args)
    {
        var stdout = new MemoryStream();
        var output = new SyncWriter();
        var error = new SyncWriter();
        using (ConsoleStreams.Use(stdin, stdout))
        {
            var code = await SockCatCommand.InvokeAsync(args, new InvocationConfiguration { Output = output, Error = error }).WaitAsync(TestTimeout);
            return new CliResult(code, stdout.ToArray(), output.Text, error.Text);
        }
    }

    /// <summary>Starts an invocation that can be stopped with <paramref name="cancellationToken"/>, as Ctrl+C stops it.</summary>
    public static (Task<CliResult> Run, SyncWriter Error) Start(Stream stdin, CancellationToken cancellationToken, params string[] args) =>
        Start(stdin, new MemoryStream(), cancellationToken, args);

    /// <summary>As above, writing stdout to <paramref name="stdout"/> (a pipe the test reads as it goes); the result's Stdout is then empty.</summary>
    public static (Task<CliResult> Run, SyncWriter Error) Start(Stream stdin, Stream stdout, CancellationToken cancellationToken, params string[] args) =>
        Start(stdin, stdout, new SyncWriter(), cancellationToken, args);

    /// <summary>As above, with the command's text output (a server's log lines) written to <paramref name="output"/>, which the test may read as it goes.</summary>
    public static (Task<CliResult> Run, SyncWriter Error) Start(Stream stdin, Stream stdout, SyncWriter output, CancellationToken cancellationToken, params string[] args)
    {
        var error = new SyncWriter();
        var run = Task.Run(async () =>
        {
            using (ConsoleStreams.Use(stdin, stdout))
            {
                var configuration = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
                var code = await SockCatCommand.Create().Parse(args).InvokeAsync(configuration, cancellationToken);
                return new CliResult(code, stdout is MemoryStream memory ? memory.ToArray() : [], output.Text, error.Text);
            }
        });
        return (run, error);
    }

    /// <summary>Waits for `listen` to announce the port it was given.</summary>
    public static async Task<int> WaitForListeningPortAsync(SyncWriter error, Task running)
    {
        var deadline = DateTime.UtcNow + TestTimeout;
        while (DateTime.UtcNow < deadline && !running.IsCompleted)
        {
            var text = error.Text;
            var at = text.IndexOf("listening on tcp://127.0.0.1:", StringComparison.Ordinal);
            if (at >= 0 && text.IndexOf('\n', at) is var end and > 0)
            {
                return int.Parse(text[(at + "listening on tcp://127.0.0.1:".Length)..end].Trim());
            }

            await Task.Delay(20);
        }

        throw new InvalidOperationException($"listen never announced its port; stderr: {error.Text}");
    }
}

internal sealed record CliResult(int ExitCode, byte[] Stdout, string Output, string Error)
{
    public string StdoutText => Encoding.UTF8.GetString(Stdout);
}

/// <summary>A TextWriter that tests may read while the command is still writing to it.</summary>
internal sealed class SyncWriter : TextWriter
{
    private readonly StringBuilder _text = new();

    public override Encoding Encoding => Encoding.UTF8;

    public string Text
    {
        get
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }

    public override void Write(char value)
    {
        lock (_text)
        {
            _text.Append(value);
        }
    }

    public override void Write(string? value)
    {
        lock (_text)
        {
            _text.Append(value);
        }
    }
}
