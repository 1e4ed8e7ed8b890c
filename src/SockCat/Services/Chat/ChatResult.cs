namespace SockCat.Services.Chat;

/// <summary>
/// What a <see cref="ChatHub"/> operation did. The hub never words a result: each protocol says it its own way (the line
/// protocol in an English line, IRC with the numeric named beside each value).
/// </summary>
internal enum ChatResult
{
    /// <summary>Done; the events it caused are on their way.</summary>
    Ok,

    /// <summary>The nick does not follow <see cref="ChatNames.IsValidNick"/> (IRC 432).</summary>
    NickInvalid,

    /// <summary>Another user has the nick, in any case (IRC 433).</summary>
    NickInUse,

    /// <summary>No user has the nick (IRC 401).</summary>
    NoSuchNick,

    /// <summary>The name does not follow <see cref="ChatNames.IsValidRoom"/> (IRC 403 or 479).</summary>
    RoomInvalid,

    /// <summary>No room has the name (IRC 403).</summary>
    NoSuchRoom,

    /// <summary>The room has a key (+k) and it was not given (IRC 475).</summary>
    BadKey,

    /// <summary>The room is invite-only (+i) and the user was not invited (IRC 473).</summary>
    InviteOnly,

    /// <summary>The room is at <see cref="ChatOptions.MaxRoomMembers"/> (IRC 471).</summary>
    RoomFull,

    /// <summary>The user is in <see cref="ChatOptions.MaxRoomsPerUser"/> rooms already (IRC 405).</summary>
    TooManyRooms,

    /// <summary>The user is already in the room: nothing changed (IRC ignores such a JOIN).</summary>
    AlreadyInRoom,

    /// <summary>The acting user is not in the room (IRC 442).</summary>
    NotInRoom,

    /// <summary>The user acted upon is not in the room (IRC 441).</summary>
    TargetNotInRoom,

    /// <summary>The user invited is in the room already (IRC 443).</summary>
    TargetInRoom,

    /// <summary>Only a room operator may do this (IRC 482).</summary>
    NotOperator,

    /// <summary>The room takes messages from its members only (+n) and the sender is not one (IRC 404).</summary>
    CannotSendToRoom,

    /// <summary>The text is empty (IRC 412).</summary>
    NoText,

    /// <summary>The mode letter is not one the hub knows (IRC 472).</summary>
    UnknownMode,

    /// <summary>The mode needs an argument (a key, a nick) and none was given (IRC 461).</summary>
    MissingArgument,

    /// <summary>
    /// The user sent faster than <see cref="ChatOptions.FloodMessagesPerSecond"/> allows: this message was dropped; warn the
    /// user. Messages go on being dropped until the rate falls back.
    /// </summary>
    Flooding,

    /// <summary>
    /// The user went on flooding after the warning: the message was dropped and the protocol should disconnect the user
    /// (IRC says "Excess Flood"), calling <see cref="ChatHub.Quit"/> with its reason.
    /// </summary>
    FloodDisconnect,

    /// <summary>The user has quit (or was never registered): nothing was done.</summary>
    NotRegistered,
}
