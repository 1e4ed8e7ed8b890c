namespace SockCat.Server.Tls;

/// <summary>
/// A certificate or key for a <c>tls://</c> listener could not be used. The message is one line that says what is
/// wrong with which file and what to do, so it can be shown to a user as it is.
/// </summary>
public sealed class ServerCertificateException : Exception
{
    /// <summary>Creates the exception with a user-facing <paramref name="message"/>.</summary>
    public ServerCertificateException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
