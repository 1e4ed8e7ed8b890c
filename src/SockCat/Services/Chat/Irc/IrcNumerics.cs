namespace SockCat.Services.Chat.Irc;

/// <summary>The numeric replies the server sends, named as RFC 2812 and modern.ircdocs.horse name them.</summary>
internal static class IrcNumerics
{
    public const string Welcome = "001";
    public const string YourHost = "002";
    public const string Created = "003";
    public const string MyInfo = "004";
    public const string ISupport = "005";

    public const string UModeIs = "221";
    public const string Away = "301";
    public const string UnAway = "305";
    public const string NowAway = "306";
    public const string WhoisUser = "311";
    public const string WhoisServer = "312";
    public const string EndOfWho = "315";
    public const string WhoisIdle = "317";
    public const string EndOfWhois = "318";
    public const string WhoisChannels = "319";
    public const string ListStart = "321";
    public const string List = "322";
    public const string ListEnd = "323";
    public const string ChannelModeIs = "324";
    public const string CreationTime = "329";
    public const string NoTopic = "331";
    public const string Topic = "332";
    public const string TopicWhoTime = "333";
    public const string Inviting = "341";
    public const string WhoReply = "352";
    public const string NamReply = "353";
    public const string EndOfNames = "366";
    public const string Motd = "372";
    public const string MotdStart = "375";
    public const string EndOfMotd = "376";

    public const string NoSuchNick = "401";
    public const string NoSuchChannel = "403";
    public const string CannotSendToChan = "404";
    public const string TooManyChannels = "405";
    public const string NoOrigin = "409";
    public const string InvalidCapCommand = "410";
    public const string NoRecipient = "411";
    public const string NoTextToSend = "412";
    public const string InputTooLong = "417";
    public const string UnknownCommand = "421";
    public const string NoMotd = "422";
    public const string NoNicknameGiven = "431";
    public const string ErroneousNickname = "432";
    public const string NicknameInUse = "433";
    public const string UserNotInChannel = "441";
    public const string NotOnChannel = "442";
    public const string UserOnChannel = "443";
    public const string NotRegistered = "451";
    public const string NeedMoreParams = "461";
    public const string AlreadyRegistered = "462";
    public const string PasswdMismatch = "464";
    public const string KeySet = "467";
    public const string ChannelIsFull = "471";
    public const string UnknownMode = "472";
    public const string InviteOnlyChan = "473";
    public const string BadChannelKey = "475";
    public const string BadChanMask = "476";
    public const string ChanOPrivsNeeded = "482";
    public const string EndOfBanList = "368";
    public const string IsOn = "303";
    public const string UserHost = "302";
    public const string UModeUnknownFlag = "501";
    public const string UsersDontMatch = "502";
}
