namespace SockCat.Server.Tls;

/// <summary>
/// A certificate or key for a <c>tls://</c> listener could not be used. The message is one line that says what is
/// wrong with which file and what to do, in the library's words; <see cref="Problem"/>, <see cref="Input"/> and
/// <see cref="What"/> let a front end (the CLI) say what to do in its own words, naming its options.
/// </summary>
public sealed class ServerCertificateException : Exception
{
    /// <summary>Creates the exception: <paramref name="what"/> went wrong, <paramref name="remedy"/> is what to do about it.</summary>
    public ServerCertificateException(ServerCertificateProblem problem, ServerCertificateInput input, string path, string what, string remedy, Exception? innerException = null)
        : base($"{what}; {remedy}", innerException)
    {
        Problem = problem;
        Input = input;
        Path = path;
        What = what;
    }

    /// <summary>What is wrong, as a kind a front end can switch on.</summary>
    public ServerCertificateProblem Problem { get; }

    /// <summary>Which of the two inputs is wrong: the certificate or the key.</summary>
    public ServerCertificateInput Input { get; }

    /// <summary>The file that is wrong.</summary>
    public string Path { get; }

    /// <summary>The first half of the message, what is wrong with which file, without what to do.</summary>
    public string What { get; }
}

/// <summary>The input a <see cref="ServerCertificateException"/> is about.</summary>
public enum ServerCertificateInput
{
    /// <summary>The certificate (PEM) file.</summary>
    Certificate,

    /// <summary>The private key, in its own file or in the certificate file.</summary>
    Key,
}

/// <summary>What is wrong in a <see cref="ServerCertificateException"/>.</summary>
public enum ServerCertificateProblem
{
    /// <summary>A key file was given, but no certificate.</summary>
    KeyWithoutCertificate,

    /// <summary>The path is a directory.</summary>
    IsDirectory,

    /// <summary>The file does not exist.</summary>
    NotFound,

    /// <summary>The file cannot be read by this user.</summary>
    PermissionDenied,

    /// <summary>The file cannot be read for another reason.</summary>
    Unreadable,

    /// <summary>The file has no PEM block at all.</summary>
    NotPem,

    /// <summary>The file has PEM blocks, but not the one wanted (a certificate, or a private key).</summary>
    Missing,

    /// <summary>No key file was given, and the certificate file holds no private key.</summary>
    NoKeyInCertificateFile,

    /// <summary>The private key is encrypted with a passphrase.</summary>
    Encrypted,

    /// <summary>The key does not belong to the certificate.</summary>
    KeyMismatch,

    /// <summary>The certificate and key could not be used together (an unsupported algorithm, for one).</summary>
    Unusable,
}
