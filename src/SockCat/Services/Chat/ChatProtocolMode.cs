namespace SockCat.Services.Chat;

/// <summary>Which protocol a <see cref="ChatService"/> speaks on a connection.</summary>
public enum ChatProtocolMode
{
    /// <summary>Told apart by the client's first line: <c>NICK</c>, <c>USER</c>, <c>CAP</c> or <c>PASS</c> start IRC; anything else is the line protocol.</summary>
    Auto,

    /// <summary>The line protocol only, for telnet and nc users.</summary>
    Line,

    /// <summary>IRC only.</summary>
    Irc,
}
