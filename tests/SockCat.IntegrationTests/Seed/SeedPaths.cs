using System.Reflection;

namespace SockCat.IntegrationTests.Seed;

/// <summary>Where the peers are: the PHP scripts beside the test assembly, the .NET programs in their own output.</summary>
internal static class SeedPaths
{
    /// <summary>
    /// The dotnet host running these tests (`dotnet test` sets DOTNET_HOST_PATH), so the peers run on the same
    /// runtime; `dotnet` from PATH otherwise.
    /// </summary>
    public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    /// <summary>The built dll of a project the tests run (an example, or SockCat.Cli), as the build recorded it.</summary>
    public static string PeerDll(string project)
    {
        var path = typeof(SeedPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(a => a.Key == $"PeerPath:{project}")?.Value
            ?? throw new InvalidOperationException($"{project} is not a PeerProject of the integration tests");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{project} is not built", path);
    }

    public static string PhpScript(string script)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Seed", "php", script);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{script} is not beside the tests", path);
    }

    /// <summary>The repository root: the first folder above the test assembly that holds SockCat.slnx.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "SockCat.slnx")))
                {
                    return dir.FullName;
                }
            }
            throw new DirectoryNotFoundException($"no SockCat.slnx above {AppContext.BaseDirectory}");
        }
    }
}
