using System.Net.Sockets;

namespace SockCat.Client;

/// <summary>
/// Gives a socket failure the errno number and name a C or PHP programmer knows. .NET reports a portable
/// <see cref="SocketError"/> and, on Unix, the raw errno in <see cref="System.ComponentModel.Win32Exception.NativeErrorCode"/>; the
/// raw number is preferred (it tells ENOENT from EADDRNOTAVAIL, which share a SocketError), and the portable code is
/// the fallback on systems whose numbers this table does not know.
/// </summary>
public static class SocketErrorNames
{
    // Linux's numbers (asm-generic/errno-base.h, errno.h) and glibc's getaddrinfo codes (netdb.h).
    private static readonly Dictionary<int, string> LinuxErrno = new()
    {
        [1] = "EPERM", [2] = "ENOENT", [12] = "ENOMEM", [13] = "EACCES", [22] = "EINVAL", [23] = "ENFILE",
        [24] = "EMFILE", [32] = "EPIPE", [88] = "ENOTSOCK", [90] = "EMSGSIZE", [91] = "EPROTOTYPE",
        [97] = "EAFNOSUPPORT", [98] = "EADDRINUSE", [99] = "EADDRNOTAVAIL", [100] = "ENETDOWN", [101] = "ENETUNREACH",
        [103] = "ECONNABORTED", [104] = "ECONNRESET", [105] = "ENOBUFS", [107] = "ENOTCONN", [110] = "ETIMEDOUT",
        [111] = "ECONNREFUSED", [112] = "EHOSTDOWN", [113] = "EHOSTUNREACH", [125] = "ECANCELED",
    };

    /// <summary>The name of a Linux errno number (<c>111</c> → <c>ECONNREFUSED</c>), for a raw system call's failure; null for a number this table does not know.</summary>
    public static string? NameOfErrno(int errno) => LinuxErrno.GetValueOrDefault(errno);

    /// <summary>The errno of <paramref name="ex"/>: its number and name (<c>(111, "ECONNREFUSED")</c>); getaddrinfo failures as <c>EAI_*</c> with glibc's negative numbers.</summary>
    public static (int Number, string Name) Describe(SocketException ex)
    {
        if (OperatingSystem.IsLinux() && LinuxErrno.TryGetValue(ex.NativeErrorCode, out var name)
            && ex.SocketErrorCode is not (SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData or SocketError.NoRecovery))
        {
            return (ex.NativeErrorCode, name);
        }

        return Describe(ex.SocketErrorCode);
    }

    /// <summary>The Linux errno number and name for a portable <paramref name="error"/>; its own number and name where there is none.</summary>
    public static (int Number, string Name) Describe(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => (111, "ECONNREFUSED"),
        SocketError.TimedOut => (110, "ETIMEDOUT"),
        SocketError.AccessDenied => (13, "EACCES"),
        SocketError.NetworkUnreachable => (101, "ENETUNREACH"),
        SocketError.HostUnreachable => (113, "EHOSTUNREACH"),
        SocketError.HostDown => (112, "EHOSTDOWN"),
        SocketError.NetworkDown => (100, "ENETDOWN"),
        SocketError.AddressNotAvailable => (99, "EADDRNOTAVAIL"),
        SocketError.AddressAlreadyInUse => (98, "EADDRINUSE"),
        SocketError.AddressFamilyNotSupported => (97, "EAFNOSUPPORT"),
        SocketError.ConnectionReset => (104, "ECONNRESET"),
        SocketError.ConnectionAborted => (103, "ECONNABORTED"),
        SocketError.Shutdown => (32, "EPIPE"),
        SocketError.MessageSize => (90, "EMSGSIZE"),
        SocketError.NoBufferSpaceAvailable => (105, "ENOBUFS"),
        SocketError.TooManyOpenSockets => (24, "EMFILE"),
        SocketError.OperationAborted => (125, "ECANCELED"),
        SocketError.HostNotFound => (-2, "EAI_NONAME"),
        SocketError.TryAgain => (-3, "EAI_AGAIN"),
        SocketError.NoRecovery => (-4, "EAI_FAIL"),
        SocketError.NoData => (-5, "EAI_NODATA"),
        _ => ((int)error, error.ToString()),
    };

    internal static ConnectFailure Classify(string errorName) => errorName switch
    {
        "ECONNREFUSED" => ConnectFailure.Refused,
        "ETIMEDOUT" => ConnectFailure.TimedOut,
        "EACCES" or "EPERM" => ConnectFailure.PermissionDenied,
        "ENETUNREACH" or "EHOSTUNREACH" or "EHOSTDOWN" or "ENETDOWN" or "EADDRNOTAVAIL" or "EAFNOSUPPORT" => ConnectFailure.Unreachable,
        "ENOENT" => ConnectFailure.NoSuchSocket,
        "EAI_NONAME" or "EAI_AGAIN" or "EAI_FAIL" or "EAI_NODATA" => ConnectFailure.HostNotFound,
        _ => ConnectFailure.Other,
    };
}
