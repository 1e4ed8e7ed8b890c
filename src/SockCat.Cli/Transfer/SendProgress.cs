using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace SockCat.Cli.Transfer;

/// <summary>
/// The progress of a send: a Spectre.Console bar (bytes, rate, time left) on a terminal, a plain line every second
/// when stderr is a file or a pipe (a log reads it), nothing when quiet.
/// </summary>
internal static class SendProgress
{
    public static async Task<T> RunAsync<T>(Func<Task<T>> send, Func<long> sent, long? total, string label, bool quiet, TextWriter error)
    {
        if (quiet)
        {
            return await send().ConfigureAwait(false);
        }

        if (ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected)
        {
            return await BarAsync(send, sent, total, label).ConfigureAwait(false);
        }

        return await LinesAsync(send, sent, total, error).ConfigureAwait(false);
    }

    private static async Task<T> BarAsync<T>(Func<Task<T>> send, Func<long> sent, long? total, string label)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T result = default!;
        await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(
                new TaskDescriptionColumn(),
                new ProgressBarColumn(),
                new PercentageColumn(),
                new DownloadedColumn(),
                new TransferSpeedColumn(),
                new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(label), maxValue: Math.Max(1, total ?? 1));
                task.IsIndeterminate = total is null;
                var running = send();
                while (await Task.WhenAny(running, Task.Delay(100)).ConfigureAwait(false) != running)
                {
                    Update(task, sent(), total);
                }

                Update(task, sent(), total);
                result = await running.ConfigureAwait(false);
            }).ConfigureAwait(false);
        return result;
    }

    private static void Update(ProgressTask task, long bytes, long? total)
    {
        if (total is null)
        {
            task.MaxValue = Math.Max(1, bytes);
        }

        task.Value = bytes;
    }

    private static async Task<T> LinesAsync<T>(Func<Task<T>> send, Func<long> sent, long? total, TextWriter error)
    {
        var running = send();
        var clock = Stopwatch.StartNew();
        long last = 0;
        var lastTime = TimeSpan.Zero;
        while (await Task.WhenAny(running, Task.Delay(1000)).ConfigureAwait(false) != running)
        {
            var now = clock.Elapsed;
            var bytes = sent();
            var rate = (bytes - last) / Math.Max(0.001, (now - lastTime).TotalSeconds);
            last = bytes;
            lastTime = now;
            await error.WriteLineAsync(Line(bytes, total, rate)).ConfigureAwait(false);
            await error.FlushAsync().ConfigureAwait(false);
        }

        return await running.ConfigureAwait(false);
    }

    internal static string Line(long bytes, long? total, double rate)
    {
        var line = $"sockcat: sent {ByteSize.Format(bytes)}";
        if (total is { } t && t > 0)
        {
            line += $" of {ByteSize.Format(t)} ({(100.0 * bytes / t).ToString("0", CultureInfo.InvariantCulture)}%)";
        }

        line += $", {ByteSize.Format(rate)}/s";
        if (total is { } all && rate > 0 && all > bytes)
        {
            line += $", {Math.Ceiling((all - bytes) / rate).ToString("0", CultureInfo.InvariantCulture)} s left";
        }

        return line;
    }
}
