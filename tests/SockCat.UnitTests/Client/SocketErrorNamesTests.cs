using System.Net.Sockets;
using SockCat.Client;

namespace SockCat.UnitTests.Client;

public sealed class SocketErrorNamesTests
{
    [Theory]
    [InlineData(SocketError.ConnectionRefused, 111, "ECONNREFUSED", ConnectFailure.Refused)]
    [InlineData(SocketError.TimedOut, 110, "ETIMEDOUT", ConnectFailure.TimedOut)]
    [InlineData(SocketError.AccessDenied, 13, "EACCES", ConnectFailure.PermissionDenied)]
    [InlineData(SocketError.NetworkUnreachable, 101, "ENETUNREACH", ConnectFailure.Unreachable)]
    [InlineData(SocketError.HostUnreachable, 113, "EHOSTUNREACH", ConnectFailure.Unreachable)]
    [InlineData(SocketError.HostNotFound, -2, "EAI_NONAME", ConnectFailure.HostNotFound)]
    [InlineData(SocketError.TryAgain, -3, "EAI_AGAIN", ConnectFailure.HostNotFound)]
    [InlineData(SocketError.ConnectionReset, 104, "ECONNRESET", ConnectFailure.Other)]
    public void Describe_SocketException_GivesLinuxErrnoNumberNameAndKind(SocketError error, int number, string name, ConnectFailure failure)
    {
        var described = SocketErrorNames.Describe(new SocketException((int)error));

        Assert.Equal((number, name), described);
        Assert.Equal(failure, SocketErrorNames.Classify(described.Name));
    }
}
