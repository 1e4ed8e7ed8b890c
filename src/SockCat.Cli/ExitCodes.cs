namespace SockCat.Cli;

/// <summary>The exit codes of `sockcat`, documented in docs/cli.md. Scripts depend on them: never renumber.</summary>
internal static class ExitCodes
{
    /// <summary>Done: the connection closed cleanly, or the server was stopped.</summary>
    public const int Success = 0;

    /// <summary>Something went wrong that has no code of its own.</summary>
    public const int Failure = 1;

    /// <summary>The command line was wrong: an unknown option, a bad URL, a bad value.</summary>
    public const int Usage = 2;

    /// <summary>The connection could not be made: refused, timed out, no such host, unreachable.</summary>
    public const int ConnectFailed = 3;

    /// <summary>The connection broke after it was made: reset by the peer, or idle past --idle-timeout.</summary>
    public const int ConnectionLost = 4;

    /// <summary>A server could not start: the address is in use, a privileged port, a bad certificate.</summary>
    public const int ListenFailed = 5;

    /// <summary>A TLS handshake or certificate check failed.</summary>
    public const int TlsFailed = 6;

    /// <summary>`send`: the receiver refused the upload or could not verify it (its verdict says why); `recv --stdout`: the upload was broken.</summary>
    public const int TransferFailed = 7;

    /// <summary>The proxy (--proxy, ALL_PROXY, HTTPS_PROXY) could not be reached: refused, timed out, no such host.</summary>
    public const int ProxyUnreachable = 8;

    /// <summary>The proxy wants a user name and password and none was given, or refused the ones given (SOCKS5, HTTP 407).</summary>
    public const int ProxyAuthFailed = 9;

    /// <summary>The proxy could not or would not reach the target: refused, unreachable, forbidden (SOCKS reply codes, HTTP 403 and 5xx).</summary>
    public const int ProxyTargetFailed = 10;

    /// <summary>The proxy spoke something other than its protocol, or hung up in the middle: often the wrong scheme or port in the proxy URL.</summary>
    public const int ProxyProtocol = 11;

    /// <summary>`connect` or `listen` was stopped by SIGPIPE's rule: stdout's reader went away (`sockcat connect … | head`), 128 + 13, silently, as any filter in a pipe.</summary>
    public const int BrokenPipe = 141;

    /// <summary>`connect` or `listen` was stopped by Ctrl+C (SIGINT): 128 + 2, as a shell reports it; what was moving may be incomplete.</summary>
    public const int Interrupted = 130;

    /// <summary>`connect` or `listen` was stopped by SIGTERM: 128 + 15; what was moving may be incomplete.</summary>
    public const int Terminated = 143;
}
