using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SockCat.Client.Proxy;
using SockCat.Endpoints;
using SockCat.Tls;

namespace SockCat.Client;

/// <summary>
/// The client's front door: <see cref="ConnectAsync"/> connects to a tcp://, unix://, tls:// or udp:// endpoint, as PHP's
/// <c>fsockopen</c> and <c>stream_socket_client</c> do, and returns a <see cref="ClientConnection"/>.
/// </summary>
/// <example>
/// <code>
/// await using var connection = await SocketClient.ConnectAsync(EndpointUrl.Parse("tcp://127.0.0.1:4444"));
/// await connection.Stream.WriteAsync("hello\n"u8.ToArray());
/// await connection.ShutdownSendAsync();
/// </code>
/// </example>
public static class SocketClient
{
    private static readonly ConnectOptions Defaults = new();

    /// <summary>
    /// Connects to <paramref name="url"/>. A host name is resolved and each of its addresses is tried in turn until one
    /// answers; <see cref="ConnectOptions.Timeout"/> (30 seconds by default) covers the whole attempt, the lookup and, for
    /// tls://, the handshake included. tls:// verifies the server's certificate against the system's trusted roots and the
    /// host name (sent as SNI) unless <paramref name="options"/> say otherwise. udp:// connects a datagram socket, which sends nothing.
    /// </summary>
    /// <exception cref="ConnectException">The connection could not be made; the exception carries the system's error number and name and a message for users.</exception>
    /// <exception cref="ArgumentException">The endpoint cannot be connected to (ws://, http://, port 0) or the fingerprint is malformed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<ClientConnection> ConnectAsync(EndpointUrl url, ConnectOptions? options = null, CancellationToken cancellationToken = default) =>
        ConnectWithResolverAsync(url, options, Dns.GetHostAddressesAsync, cancellationToken);

    /// <summary>The same, with the name lookup replaced: tests use it to prove each address is tried without touching DNS.</summary>
    internal static async Task<ClientConnection> ConnectWithResolverAsync(
        EndpointUrl url, ConnectOptions? options, Func<string, CancellationToken, Task<IPAddress[]>> resolve, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        options ??= Defaults;
        Validate(url, options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Retries, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RetryInterval, TimeSpan.Zero, nameof(options));
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ConnectOnceAsync(url, options, resolve, cancellationToken).ConfigureAwait(false);
            }
            catch (ConnectException ex) when (attempt <= options.Retries && MayPass(ex.Failure))
            {
                options.OnRetry?.Invoke(ex, attempt, options.RetryInterval);
                await Task.Delay(options.RetryInterval, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    // Failures that another try may not meet: a server starting, a route coming up, a name service answering again.
    private static bool MayPass(ConnectFailure failure) => failure is
        ConnectFailure.Refused or ConnectFailure.TimedOut or ConnectFailure.Unreachable or ConnectFailure.NoSuchSocket
        or ConnectFailure.HostNotFound or ConnectFailure.Other or ConnectFailure.ProxyUnreachable or ConnectFailure.ProxyTarget;

    private static async Task<ClientConnection> ConnectOnceAsync(
        EndpointUrl url, ConnectOptions options, Func<string, CancellationToken, Task<IPAddress[]>> resolve, CancellationToken cancellationToken)
    {

        var attempt = new Attempt(url) { Resolve = resolve };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (options.Timeout != Timeout.InfiniteTimeSpan)
        {
            timeout.CancelAfter(options.Timeout);
        }

        try
        {
            return url.Scheme switch
            {
                EndpointScheme.Unix => await ConnectUnixAsync(url, attempt, timeout.Token).ConfigureAwait(false),
                EndpointScheme.Udp => await ConnectUdpAsync(url, options, attempt, timeout.Token).ConfigureAwait(false),
                EndpointScheme.Tls => await ConnectTlsAsync(url, options, attempt, timeout.Token).ConfigureAwait(false),
                _ => await ConnectTcpAsync(url, options, attempt, timeout.Token).ConfigureAwait(false),
            };
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw TimedOut(url, options.Timeout, attempt, ex);
        }
    }

    private static void Validate(EndpointUrl url, ConnectOptions options)
    {
        if (url.IsWeb)
        {
            throw new ArgumentException(
                $"{url} names a browser-facing listener; to talk to it by hand connect to {(url.IsSecure ? "tls" : "tcp")}://{Bracket(url.Host)}:{url.Port}", nameof(url));
        }

        if (url.Scheme != EndpointScheme.Unix && url.Port == 0)
        {
            throw new ArgumentException($"port 0 in {url} only means something when listening; give the server's port, e.g. {EndpointUrl.SchemeName(url.Scheme)}://{Bracket(url.Host)}:4444", nameof(url));
        }

        if (options.CertificateFingerprint is { } fingerprint)
        {
            CertificateFingerprint.Parse(fingerprint, nameof(options));
        }

        if (options.AddressFamily is not (AddressFamily.Unspecified or AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException($"address family {options.AddressFamily} is not one a connection can use; use InterNetwork (IPv4), InterNetworkV6 (IPv6) or Unspecified", nameof(options));
        }

        if (options.LocalEndPoint is { } local)
        {
            if (url.Scheme == EndpointScheme.Unix)
            {
                throw new ArgumentException($"a local address ({local}) is for tcp, tls and udp connections, and {url} is a unix socket", nameof(options));
            }

            if (options.AddressFamily != AddressFamily.Unspecified && local.AddressFamily != options.AddressFamily)
            {
                throw new ArgumentException($"the local address {local} is {FamilyName(local.AddressFamily)}, and only {FamilyName(options.AddressFamily)} addresses were asked for; give an {FamilyName(options.AddressFamily)} local address", nameof(options));
            }
        }

        if (options.Proxy is { } proxy)
        {
            if (url.Scheme is not (EndpointScheme.Tcp or EndpointScheme.Tls))
            {
                throw new ArgumentException($"a proxy carries tcp:// and tls:// connections, and {url} is {(url.Scheme == EndpointScheme.Udp ? "datagrams" : "a unix socket")}; connect to it without the proxy", nameof(options));
            }

            // Throws for a target this kind of proxy cannot be asked for (an IPv6 address through SOCKS4a) before any connect.
            ProxyNegotiator.Create(proxy, url);
            return; // -4/-6 and a local address apply to the connection to the proxy, checked when it is made
        }

        var family = Family(options);
        if (family != AddressFamily.Unspecified && url.Scheme != EndpointScheme.Unix && IPAddress.TryParse(url.Host, out var literal) && literal.AddressFamily != family)
        {
            var why = options.LocalEndPoint is { } from ? $"the local address {from} is {FamilyName(family)}" : $"only {FamilyName(family)} addresses were asked for";
            throw new ArgumentException($"{url.Host} is an {FamilyName(literal.AddressFamily)} address, and {why}; give an {FamilyName(family)} address or a host name", nameof(url));
        }
    }

    /// <summary>The one family every address must have: the local address's, or the one asked for; Unspecified for any.</summary>
    private static AddressFamily Family(ConnectOptions options) => options.LocalEndPoint?.AddressFamily ?? options.AddressFamily;

    private static string FamilyName(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";

    private static async Task<Socket> ConnectIpAsync(
        EndpointUrl url, SocketType socketType, ProtocolType protocol, ConnectOptions options, Attempt attempt, CancellationToken cancellationToken)
    {
        var addresses = await ResolveAsync(url, Family(options), attempt, cancellationToken).ConfigureAwait(false);
        ConnectException? last = null;
        foreach (var address in addresses)
        {
            var target = new IPEndPoint(address, url.Port);
            attempt.Target = target.ToString();
            attempt.Stage = Stage.Connecting;
            var socket = new Socket(address.AddressFamily, socketType, protocol);
            try
            {
                if (socketType == SocketType.Stream)
                {
                    socket.NoDelay = true;
                }

                if (options.LocalEndPoint is { } local)
                {
                    Bind(url, socket, local);
                }

                await socket.ConnectAsync(target, cancellationToken).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                // As fsockopen does, the last address's error is the one reported.
                last = SocketFailure(url, ex, attempt.Describe(addresses.Length));
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last!;
    }

    /// <summary>Binds the local side before connecting; a failure is the same for every address of the host, so it ends the attempt.</summary>
    private static void Bind(EndpointUrl url, Socket socket, IPEndPoint local)
    {
        if (local.Port != 0)
        {
            // A port left in TIME_WAIT by the previous run stays usable, as with nc -p; one a listener holds does not.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        }

        try
        {
            socket.Bind(local);
        }
        catch (SocketException ex)
        {
            var (number, name) = SocketErrorNames.Describe(ex);
            var shown = local.Port == 0 ? local.Address.ToString() : local.ToString();
            var (message, hint) = ex.SocketErrorCode switch
            {
                SocketError.AddressNotAvailable => ($"cannot use local address {shown}: {local.Address} is not an address of this machine ({name})", "give one of this machine's addresses (ip addr lists them)"),
                SocketError.AddressAlreadyInUse => ($"cannot use local address {shown}: port {local.Port} is already in use ({name})", "pick another local port, or let the system choose one"),
                SocketError.AccessDenied => ($"cannot use local address {shown}: ports below 1024 need root or CAP_NET_BIND_SERVICE ({name})", "pick a local port above 1023, or let the system choose one"),
                _ => ($"cannot use local address {shown}: {ex.Message.TrimEnd('.')} ({name})", "check the local address"),
            };
            throw new ConnectException(url, ConnectFailure.LocalAddress, number, name, message, hint, ex);
        }
    }

    private static async Task<IPAddress[]> ResolveAsync(EndpointUrl url, AddressFamily family, Attempt attempt, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(url.Host, out var literal))
        {
            return [literal];
        }

        attempt.Stage = Stage.Resolving;
        attempt.Target = url.Host;
        IPAddress[] addresses;
        try
        {
            addresses = await attempt.Resolve(url.Host, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            var (number, name) = SocketErrorNames.Describe(ex);
            var (message, hint) = ex.SocketErrorCode == SocketError.TryAgain
                ? ($"could not look up '{url.Host}': the name service did not answer ({name})", "check your network connection and DNS settings")
                : ($"no such host '{url.Host}' ({name})", "check the name for typos, or use an IP address");
            throw new ConnectException(url, ConnectFailure.HostNotFound, number, name, message, hint, ex);
        }

        if (addresses.Length == 0)
        {
            throw new ConnectException(url, ConnectFailure.HostNotFound, -5, "EAI_NODATA",
                $"the host '{url.Host}' has no address (EAI_NODATA)", "check the name, or use an IP address");
        }

        if (family != AddressFamily.Unspecified)
        {
            var all = addresses;
            addresses = [.. all.Where(a => a.AddressFamily == family)];
            if (addresses.Length == 0)
            {
                var version = family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";
                throw new ConnectException(url, ConnectFailure.HostNotFound, -9, "EAI_ADDRFAMILY",
                    $"the host '{url.Host}' has no {version} address, only {string.Join(", ", all.Select(a => a.ToString()))} (EAI_ADDRFAMILY)",
                    $"allow the other family, or give an {version} address");
            }
        }

        attempt.Addresses = addresses;
        return addresses;
    }

    private static async Task<ClientConnection> ConnectTcpAsync(EndpointUrl url, ConnectOptions options, Attempt attempt, CancellationToken cancellationToken)
    {
        var socket = await ConnectStreamAsync(url, options, attempt, cancellationToken).ConfigureAwait(false);
        return new ClientConnection(url, socket, new NetworkStream(socket, ownsSocket: true), tls: null);
    }

    private static async Task<ClientConnection> ConnectUdpAsync(EndpointUrl url, ConnectOptions options, Attempt attempt, CancellationToken cancellationToken)
    {
        var socket = await ConnectIpAsync(url, SocketType.Dgram, ProtocolType.Udp, options, attempt, cancellationToken).ConfigureAwait(false);
        return new ClientConnection(url, socket, new DatagramStream(socket), tls: null);
    }

    private static async Task<ClientConnection> ConnectUnixAsync(EndpointUrl url, Attempt attempt, CancellationToken cancellationToken)
    {
        attempt.Stage = Stage.Connecting;
        attempt.Target = $"unix socket {url.Path}";
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(url.Path), cancellationToken).ConfigureAwait(false);
            return new ClientConnection(url, socket, new NetworkStream(socket, ownsSocket: true), tls: null);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw SocketFailure(url, ex, attempt.Target);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A TCP socket to the target: connected to it, or, with a proxy, to the proxy with the tunnel to it open.</summary>
    private static async Task<Socket> ConnectStreamAsync(EndpointUrl url, ConnectOptions options, Attempt attempt, CancellationToken cancellationToken)
    {
        if (options.Proxy is not { } proxy)
        {
            return await ConnectIpAsync(url, SocketType.Stream, ProtocolType.Tcp, options, attempt, cancellationToken).ConfigureAwait(false);
        }

        var proxyUrl = EndpointUrl.Parse($"tcp://{proxy.HostAndPort}");
        var inner = new Attempt(proxyUrl) { Resolve = attempt.Resolve };
        attempt.ProxyAttempt = inner;
        attempt.ProxyKindName = proxy.KindName;
        attempt.Stage = Stage.ProxyConnecting;
        Socket socket;
        try
        {
            socket = await ConnectIpAsync(proxyUrl, SocketType.Stream, ProtocolType.Tcp, options, inner, cancellationToken).ConfigureAwait(false);
        }
        catch (ConnectException ex) when (ex.Failure != ConnectFailure.LocalAddress)
        {
            throw new ConnectException(url, ConnectFailure.ProxyUnreachable, ex.ErrorNumber, ex.ErrorName,
                $"cannot reach the {proxy.KindName} proxy: {ex.Message}", "is the proxy running there? check the proxy URL", ex);
        }
        catch (ArgumentException ex)
        {
            // The family or local address asked for does not fit the proxy's address.
            throw new ArgumentException($"the {proxy.KindName} proxy {proxy.HostAndPort}: {ex.Message}", nameof(options), ex);
        }

        attempt.Stage = Stage.ProxyHandshake;
        try
        {
            using var stream = new NetworkStream(socket, ownsSocket: false);
            attempt.Negotiator = ProxyNegotiator.Create(proxy, url);
            await ProxyTunnel.NegotiateAsync(stream, attempt.Negotiator, url, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<ClientConnection> ConnectTlsAsync(EndpointUrl url, ConnectOptions options, Attempt attempt, CancellationToken cancellationToken)
    {
        var socket = await ConnectStreamAsync(url, options, attempt, cancellationToken).ConfigureAwait(false);
        attempt.Stage = Stage.Handshake;
        var where = $"{Bracket(url.Host)}:{url.Port}";
        var expected = options.CertificateFingerprint is { } text ? CertificateFingerprint.Parse(text, nameof(options)) : null;
        ConnectException? rejection = null;

        var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        var authentication = new SslClientAuthenticationOptions
        {
            TargetHost = url.Host,
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                rejection = CheckCertificate(url, where, options, expected, certificate, chain, errors);
                return rejection is null;
            },
        };

        try
        {
            await tls.AuthenticateAsClientAsync(authentication, cancellationToken).ConfigureAwait(false);
            return new ClientConnection(url, socket, tls, tls);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException && !cancellationToken.IsCancellationRequested)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            socket.Dispose();
            if (rejection is not null)
            {
                throw rejection;
            }

            var reason = ex is IOException ? "the server closed the connection" : (ex.InnerException ?? ex).Message.TrimEnd('.');
            throw new ConnectException(url, ConnectFailure.TlsHandshake, 0, "TLS_HANDSHAKE",
                $"the TLS handshake with {where} failed: {reason}", "is it a TLS server that speaks TLS 1.2 or 1.3?", ex);
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            socket.Dispose();
            throw;
        }
    }

    private static ConnectException? CheckCertificate(
        EndpointUrl url, string where, ConnectOptions options, byte[]? expected,
        X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return options.AllowUntrustedCertificate && expected is null
                ? null
                : new ConnectException(url, ConnectFailure.TlsUntrusted, 0, "TLS_UNTRUSTED",
                    $"the TLS server {where} presented no certificate", "is it the server you meant?");
        }

        var actual = CertificateFingerprint.Compute(certificate);
        if (expected is not null)
        {
            return actual.AsSpan().SequenceEqual(expected)
                ? null
                : new ConnectException(url, ConnectFailure.TlsFingerprintMismatch, 0, "TLS_FINGERPRINT",
                    $"the certificate of {where} has SHA-256 fingerprint {CertificateFingerprint.Format(actual)}, not the {CertificateFingerprint.Format(expected)} asked for",
                    "check the fingerprint: the server may have a new certificate, or someone is in between");
        }

        if (options.AllowUntrustedCertificate || errors == SslPolicyErrors.None)
        {
            return null;
        }

        var reasons = new List<string>();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            reasons.Add($"it is not issued for '{url.Host}'");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            var statuses = chain?.ChainStatus.Select(s => s.Status).Where(s => s != X509ChainStatusFlags.NoError).Distinct().ToList() ?? [];
            reasons.Add(statuses.Count == 0 ? "its chain does not verify" : string.Join(", ", statuses.Select(DescribeChainStatus)));
        }

        return new ConnectException(url, ConnectFailure.TlsUntrusted, 0, "TLS_UNTRUSTED",
            $"the certificate of {where} is not trusted: {string.Join("; ", reasons)} (SHA-256 {CertificateFingerprint.Format(actual)})",
            "if you trust this server, accept exactly this certificate by its fingerprint, or skip verification (insecure)");
    }

    private static string DescribeChainStatus(X509ChainStatusFlags status) => status switch
    {
        X509ChainStatusFlags.UntrustedRoot => "it is self-signed or signed by an unknown authority",
        X509ChainStatusFlags.PartialChain => "its issuer is unknown (incomplete chain)",
        X509ChainStatusFlags.NotTimeValid => "it has expired or is not yet valid",
        X509ChainStatusFlags.Revoked => "it has been revoked",
        X509ChainStatusFlags.NotValidForUsage => "it is not valid for a TLS server",
        _ => status.ToString(),
    };

    private static ConnectException SocketFailure(EndpointUrl url, SocketException ex, string target)
    {
        var unix = url.Scheme == EndpointScheme.Unix;
        // A missing socket file comes back as EADDRNOTAVAIL, which would send the user looking at the network.
        var (number, name) = unix && ex.SocketErrorCode == SocketError.AddressNotAvailable && !File.Exists(url.Path)
            ? (2, "ENOENT")
            : SocketErrorNames.Describe(ex);
        return SocketFailure(url, number, name, target, ex);
    }

    /// <summary>A connect that failed with <paramref name="errno"/>, reported as <see cref="ConnectAsync"/> reports it: the engine's own nonblocking connect uses it.</summary>
    internal static ConnectException SocketFailure(EndpointUrl url, int errno, string target) =>
        SocketFailure(url, errno, SocketErrorNames.NameOf(errno), target, null);

    /// <summary>The target's description as <see cref="ConnectAsync"/> words it: an address and port, or the unix socket.</summary>
    internal static string DescribeTarget(EndpointUrl url, EndPoint endPoint) =>
        url.Scheme == EndpointScheme.Unix ? $"unix socket {url.Path}" : endPoint.ToString()!;

    /// <summary>Checks a target as <see cref="ConnectAsync"/> does, for a stream connection only.</summary>
    internal static void ValidateStream(EndpointUrl url, ConnectOptions options)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.Scheme == EndpointScheme.Udp)
        {
            throw new ArgumentException($"{url} is a datagram endpoint; a relay carries a stream (tcp://, unix:// or tls://)", nameof(url));
        }

        Validate(url, options);
    }

    /// <summary>Resolves a host name as <see cref="ConnectAsync"/> does, with its errors; an IP address is returned as it is.</summary>
    internal static Task<IPAddress[]> ResolveAsync(EndpointUrl url, ConnectOptions options, CancellationToken cancellationToken) =>
        ResolveAsync(url, Family(options), new Attempt(url) { Resolve = Dns.GetHostAddressesAsync }, cancellationToken);

    /// <summary>A connect that ran out of <paramref name="timeout"/>, worded as <see cref="ConnectAsync"/> words it.</summary>
    internal static ConnectException ConnectTimedOut(EndpointUrl url, TimeSpan timeout, string target)
    {
        var after = string.Create(CultureInfo.InvariantCulture, $"{timeout.TotalSeconds:0.###} s");
        return new ConnectException(url, ConnectFailure.TimedOut, 110, "ETIMEDOUT", $"connection to {target} timed out after {after} (ETIMEDOUT)",
            "is the host up, is the port open in its firewall, and is the server accepting connections?");
    }

    private static ConnectException SocketFailure(EndpointUrl url, int number, string name, string target, Exception? ex)
    {
        var unix = url.Scheme == EndpointScheme.Unix;
        var failure = SocketErrorNames.Classify(name);
        var (message, hint) = failure switch
        {
            ConnectFailure.Refused when unix => ($"nothing is listening on {target} ({name})", "is the server running? a stale socket file is left when a server dies"),
            ConnectFailure.Refused => ($"connection refused by {target} ({name})", "is a server listening there?"),
            ConnectFailure.TimedOut => ($"connection to {target} timed out ({name})", "is the host up, and is the port open in its firewall?"),
            ConnectFailure.PermissionDenied when unix => ($"permission denied connecting to {target} ({name})", "check the socket file's permissions, or run as a user allowed to use it"),
            ConnectFailure.PermissionDenied => ($"permission denied connecting to {target} ({name})", "a firewall rule or a broadcast address forbids it"),
            ConnectFailure.NoSuchSocket => ($"no {target} ({name})", "is the server running, and is the path right?"),
            ConnectFailure.Unreachable => ($"{target} is unreachable ({name})", "check the address and this machine's network and routes"),
            _ => ($"could not connect to {target}: {(ex is null ? new System.ComponentModel.Win32Exception(number).Message : ex.Message).TrimEnd('.')} ({name})", "check the address"),
        };
        return new ConnectException(url, failure, number, name, message, hint, ex);
    }

    private static ConnectException TimedOut(EndpointUrl url, TimeSpan timeout, Attempt attempt, Exception cause)
    {
        var after = string.Create(CultureInfo.InvariantCulture, $"{timeout.TotalSeconds:0.###} s");
        if (attempt.Stage is Stage.ProxyConnecting or Stage.ProxyHandshake && attempt.ProxyAttempt is { } inner)
        {
            var proxy = $"the {attempt.ProxyKindName} proxy";
            return attempt.Stage == Stage.ProxyConnecting
                ? new ConnectException(url, ConnectFailure.ProxyUnreachable, 110, "ETIMEDOUT",
                    inner.Stage == Stage.Resolving
                        ? $"cannot reach {proxy}: looking up '{inner.Target}' timed out after {after} (ETIMEDOUT)"
                        : $"cannot reach {proxy}: connection to {inner.Describe(inner.Addresses?.Length ?? 1)} timed out after {after} (ETIMEDOUT)",
                    "is the proxy running there? check the proxy URL", cause)
                : attempt.Negotiator!.TimedOut(after);
        }

        var (message, hint) = attempt.Stage switch
        {
            Stage.Resolving => ($"looking up '{url.Host}' timed out after {after} (ETIMEDOUT)", "check your network connection and DNS settings"),
            Stage.Handshake => ($"the TLS handshake with {attempt.Target} timed out after {after} (ETIMEDOUT)", "is it a TLS server?"),
            _ => ($"connection to {attempt.Describe(attempt.Addresses?.Length ?? 1)} timed out after {after} (ETIMEDOUT)", "is the host up, is the port open in its firewall, and is the server accepting connections?"),
        };
        return new ConnectException(url, ConnectFailure.TimedOut, 110, "ETIMEDOUT", message, hint, cause);
    }

    private static string Bracket(string host) => host.Contains(':') ? $"[{host}]" : host;

    private enum Stage
    {
        Resolving,
        Connecting,
        Handshake,
        ProxyConnecting,
        ProxyHandshake,
    }

    /// <summary>Where an attempt got to, so a timeout or failure can say what it was waiting for.</summary>
    private sealed class Attempt(EndpointUrl url)
    {
        public Stage Stage { get; set; } = Stage.Connecting;

        public string Target { get; set; } = url.Scheme == EndpointScheme.Unix ? url.Path : $"{Bracket(url.Host)}:{url.Port}";

        public IPAddress[]? Addresses { get; set; }

        /// <summary>With a proxy, the attempt to reach it.</summary>
        public Attempt? ProxyAttempt { get; set; }

        public string? ProxyKindName { get; set; }

        /// <summary>With a proxy, its handshake once the proxy answered the connect.</summary>
        public ProxyNegotiator? Negotiator { get; set; }

        public required Func<string, CancellationToken, Task<IPAddress[]>> Resolve { get; init; }

        /// <summary>The address tried, named as the user wrote it when that was a host name.</summary>
        public string Describe(int addressCount)
        {
            if (url.Scheme == EndpointScheme.Unix || url.HostIsAddress)
            {
                return Target;
            }

            var name = $"{url.Host}:{url.Port}";
            return addressCount > 1 && Addresses is { } all
                ? $"{name}, tried {string.Join(" and ", all.Select(a => a.ToString()))}"
                : $"{name} at {Target}";
        }
    }
}
