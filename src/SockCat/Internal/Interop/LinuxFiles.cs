using System.Runtime.InteropServices;

namespace SockCat.Internal.Interop;

/// <summary>
/// The few file calls .NET does not expose: a rename that refuses to replace (so two uploads of one name cannot overwrite
/// each other between a check and a rename), and fsync of a directory (so a rename survives a power cut).
/// </summary>
internal static partial class LinuxFiles
{
    public const int AT_FDCWD = -100;
    public const uint RENAME_NOREPLACE = 1;
    public const int EEXIST = 17;
    public const int EINVAL = 22;
    public const int ENOSYS = 38;
    public const int O_RDONLY = 0;
    public const int O_DIRECTORY = 0x10000;
    public const int O_CLOEXEC = 0x80000;

    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int RenameAt2(int oldDirFd, string oldPath, int newDirFd, string newPath, uint flags);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);
}
