using BenchmarkDotNet.Running;
using SockCat.Benchmarks;

// --exact-allocations: the exact byte count per path (see ExactAllocations), exit code 1 if any path allocated.
// Anything else is BenchmarkDotNet's own arguments (--filter, --job, --artifacts ...); bench/micro.sh supplies defaults.
if (args is ["--exact-allocations"])
{
    return ExactAllocations.Run(Console.Out);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
