using SockCat.Server;

namespace SockCat.Services.Chat;

/// <summary>
/// What every chat protocol tells the <see cref="ChatProtocolSelector"/> that hosts it, for the registration timeout
/// (<see cref="ChatServiceOptions.RegistrationTimeout"/>), which counts from the connection, not from the protocol's choice.
/// </summary>
internal interface IChatSession
{
    /// <summary>True once the client has a nick on the hub.</summary>
    bool IsRegistered { get; }

    /// <summary>The registration timeout passed unregistered: say so in the protocol's words and close the connection.</summary>
    void OnRegistrationTimeout(IConnection connection);
}
