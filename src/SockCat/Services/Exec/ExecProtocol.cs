using System.Net;
using SockCat.Server;

namespace SockCat.Services.Exec;

/// <summary>
/// One byte-stream client of <see cref="ExecService"/> in per-client mode, on its connection's thread: admission (the
/// process bound, the token line), then the bytes to the program's stdin on this thread (<see cref="ExecInputCarrier"/>:
/// reading paused while the pipe is full, so a program that does not read holds its client back without blocking the
/// loop), and the session's news back onto the connection through <see cref="IConnection.Post(Action{IConnection, object}, object)"/>.
/// </summary>
internal sealed class ExecProtocol(ExecService service) : IConnectionProtocol, IExecClient
{
    private const int MaxTokenLine = 1024;
    private IConnection _connection = null!;
    private ExecSession? _session;
    private ExecInputCarrier? _input;
    private bool _refused;

    public string Peer { get; private set; } = "";

    public void OnConnected(IConnection connection)
    {
        _connection = connection;
        Peer = connection.RemoteEndPoint is IPEndPoint ip ? $"{(ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address)}:{ip.Port}" : connection.RemoteEndPoint?.ToString() ?? "unix";
        if (!service.RequiresToken)
        {
            Admit(connection);
        }
    }

    public int OnReceived(IConnection connection, ReadOnlySpan<byte> data)
    {
        var total = data.Length;
        if (_refused)
        {
            return total;
        }

        if (_session is null)
        {
            var newline = data.IndexOf((byte)'\n');
            if (newline < 0)
            {
                if (data.Length > MaxTokenLine)
                {
                    Refuse(connection, "no token line", "sockcat: this server asks for a token; send it as the first line\n");
                    return data.Length;
                }

                return 0;   // the token line is not whole yet
            }

            if (!service.TokenMatches(data[..newline].TrimEnd((byte)'\r')))
            {
                Refuse(connection, "wrong token", "sockcat: wrong token; send the server's token as the first line\n");
                return data.Length;
            }

            if (!Admit(connection))
            {
                return data.Length;
            }

            data = data[(newline + 1)..];
            if (data.IsEmpty)
            {
                return total;
            }
        }

        _input!.Input(connection, data);
        return total;
    }

    public void OnInputEnded(IConnection connection, ReadOnlySpan<byte> unconsumed)
    {
        if (_session is null)
        {
            connection.Close();   // never admitted: no program to give an end of input to
            return;
        }

        _input!.End();
    }

    public void OnClosed(IConnection connection, string? reason) => _session?.ClientGone();

    public ValueTask<bool> WriteOutputAsync(ReadOnlyMemory<byte> data, bool stderr, CancellationToken cancellationToken) =>
        _connection.WriteAsync(data, cancellationToken);

    public Task CarryOutputAsync(Stream source, bool stderr, Func<Task> pump) => ExecOutputCarrier.Carry(_connection, source, pump);

    public Task CarryInputAsync(Stream stdin, Func<Task> pump) => _input!.Carry(_connection, stdin, pump);

    public void OutputEnded() => _connection.Post(static (c, _) => c.ShutdownSend(), null);

    public void Exited(int code) => _connection.Post(static (c, _) => c.Close(), null);

    public void InputTaken() => _connection.Post(static (c, _) => c.ResumeReading(), null);

    public void Fail(string line) => _connection.Post(static (c, s) =>
    {
        c.Write(System.Text.Encoding.UTF8.GetBytes((string)s!));
        c.Close();
    }, line);

    private bool Admit(IConnection connection)
    {
        if (!service.TryReserve())
        {
            Refuse(connection, $"{service.Options.MaxProcesses} programs running", service.FullMessage);
            return false;
        }

        _session = new ExecSession(service, this);
        _input = new ExecInputCarrier(_session);
        var environment = ExecEnvironment.Build(service.Options, connection.RemoteEndPoint, connection.LocalEndPoint, "TCP");
        _session.Start(environment, directStdout: LendSocket(connection));
        return true;
    }

    /// <summary>The client's socket for the program's stdout under <see cref="ExecOptions.Direct"/>, where the transport lends it; else null (relayed).</summary>
    private System.Runtime.InteropServices.SafeHandle? LendSocket(IConnection connection)
    {
        var options = service.Options;
        if (!options.Direct || options.Pty || options.Stderr == ExecStderr.Merge)
        {
            return null;
        }

        try
        {
            return connection.LendSocket();
        }
        catch (NotSupportedException)
        {
            return null;   // tls://, Kestrel's transports: relayed
        }
    }

    private void Refuse(IConnection connection, string reason, string line)
    {
        _refused = true;
        ExecLog.Refused(service.Logger, Peer, reason);
        connection.Write(System.Text.Encoding.UTF8.GetBytes(line));
        connection.Close();
    }
}
