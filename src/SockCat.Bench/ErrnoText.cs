using System.Runtime.InteropServices;
using SockCat.Client;

namespace SockCat.Bench;

/// <summary>A failed system call's errno as the bench reports it: the message and, where known, the name a C programmer greps for.</summary>
internal static class ErrnoText
{
    public static string Of(int errno) => SocketErrorNames.NameOfErrno(errno) is { } name
        ? $"{Marshal.GetPInvokeErrorMessage(errno)} ({name})"
        : Marshal.GetPInvokeErrorMessage(errno);
}
