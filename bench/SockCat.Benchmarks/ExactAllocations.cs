using System.Reflection;
using BenchmarkDotNet.Attributes;

namespace SockCat.Benchmarks;

/// <summary>
/// BenchmarkDotNet rounds "Allocated" to whole bytes per operation, so an object every few dozen messages would still
/// read as zero. This runs each benchmark of <see cref="EchoPathBenchmarks"/> for <see cref="Invocations"/> invocations
/// after a warm-up and prints the exact bytes the thread allocated: one 24-byte object in the whole run would show.
/// Every path measured runs on the calling thread (the pipes schedule inline), so the thread's count is the path's.
/// </summary>
internal static class ExactAllocations
{
    private const int WarmupInvocations = 300;
    private const int Invocations = 200;

    public static int Run(TextWriter output)
    {
        var methods = typeof(EchoPathBenchmarks).GetMethods()
            .Where(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null)
            .ToList();
        var sizes = typeof(EchoPathBenchmarks).GetProperty(nameof(EchoPathBenchmarks.Size))!
            .GetCustomAttribute<ParamsAttribute>()!.Values.Cast<int>();
        var failed = false;
        output.WriteLine("| Method | Size | Messages | Bytes allocated (exact) |");
        output.WriteLine("|---|---:|---:|---:|");
        foreach (var size in sizes)
        {
            foreach (var method in methods)
            {
                var benchmarks = new EchoPathBenchmarks { Size = size };
                benchmarks.Setup();
                var run = method.CreateDelegate<Func<int>>(benchmarks);
                for (var i = 0; i < WarmupInvocations; i++)
                {
                    run();
                }

                var before = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < Invocations; i++)
                {
                    run();
                }

                var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                var messages = (long)Invocations * method.GetCustomAttribute<BenchmarkAttribute>()!.OperationsPerInvoke;
                output.WriteLine($"| {method.Name} | {size} | {messages:N0} | {allocated:N0} |");
                failed |= allocated != 0;
                benchmarks.Cleanup();
            }
        }

        return failed ? 1 : 0;
    }
}
