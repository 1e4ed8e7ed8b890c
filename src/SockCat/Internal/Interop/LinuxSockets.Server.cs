using System.Runtime.InteropServices;

namespace SockCat.Internal.Interop;

// Declarations only the server engine uses; kept in their own file so LinuxSockets.cs, shared with the load
// generator, only ever gains lines there by agreement.
internal static unsafe partial class LinuxSockets
{
    public const int SO_PEERCRED = 17;
    public const int EFD_NONBLOCK = 0x800;
    public const int EFD_CLOEXEC = 0x80000;

    // struct stat on x86-64: st_dev(8) st_ino(8) st_nlink(8) st_mode(4) ...; 144 bytes in all.
    public const int StatSize = 144;
    public const int StatModeOffset = 24;
    public const uint S_IFMT = 0xF000;
    public const uint S_IFSOCK = 0xC000;

    [LibraryImport(Libc, EntryPoint = "lstat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Lstat(string path, byte* statBuffer);

    /// <summary>struct ucred: the peer process of a unix socket.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct UCred
    {
        public int Pid;
        public uint Uid;
        public uint Gid;
    }

    /// <summary>struct linger.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Linger
    {
        public int OnOff;
        public int Seconds;
    }
}
