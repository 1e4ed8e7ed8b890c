using System.CommandLine;
using SockCat.Services.Chat;

namespace SockCat.Cli.Commands;

/// <summary>
/// <c>sockcat serve chat URL...</c>: rooms, private rooms and private messages for telnet and nc users (the line protocol)
/// and IRC clients on the same port, as a better <c>ncat --chat</c>.
/// </summary>
internal static class ServeChatCommand
{
    public static Command Create()
    {
        var options = new ServeOptions();
        var maxLine = new Option<int>("--max-line")
        {
            HelpName = "BYTES",
            Description = "The longest line a client may send; a longer one is refused with one error line, never relayed",
            DefaultValueFactory = _ => ChatServiceOptions.DefaultMaxLineLength,
        }.Whole(new NumberRule("bytes", $"{ChatServiceOptions.DefaultMaxLineLength}", Min: 16, Max: 1024 * 1024));
        var registerTimeout = new Option<double>("--register-timeout")
        {
            HelpName = "SECONDS",
            Description = "Disconnect a client that has not chosen a nickname in SECONDS",
            DefaultValueFactory = _ => 60,
        }.Real(NumberRule.Seconds("60"));
        var flood = new Option<double>("--flood")
        {
            HelpName = "N",
            Description = "Messages a second one user may send (after a burst of twice as many); past it a warning, then a disconnect; 0: no limit",
            DefaultValueFactory = _ => 10,
        }.Real(new NumberRule("messages a second", "10", Min: 0, Max: 1_000_000));
        var command = new Command("chat", """
            Chat rooms, private rooms and private messages, for people at telnet or nc and for IRC clients on the same port
            (told apart by their first line). Line protocol: /nick NAME, /join ROOM [KEY], /msg NICK TEXT, /help; a plain line
            goes to your current room and arrives as [#room] <alice> hello. A client that stops reading is cut (--max-queue),
            and its rooms are told; the others go on.
            Examples:
              sockcat serve chat tcp://0.0.0.0:6667
              sockcat serve chat tcp://127.0.0.1:4444 --max-line 1024 --flood 5
              nc 127.0.0.1 4444        then: /nick alice, /join lobby, hello
            Stop with Ctrl+C: it stops accepting, lets clients finish for --drain seconds, and prints a summary.
            """);
        options.AddTo(command);
        command.Options.Add(maxLine);
        command.Options.Add(registerTimeout);
        command.Options.Add(flood);
        command.SetAction((parseResult, cancellationToken) =>
        {
            var max = parseResult.GetValue(maxLine);
            var rate = parseResult.GetValue(flood);
            var hub = new ChatHub(new ChatOptions
            {
                FloodMessagesPerSecond = rate,
                FloodBurst = Math.Max(1, (int)Math.Min(int.MaxValue, Math.Ceiling(rate * 2))),
            });
            var chat = new ChatService(hub, new ChatServiceOptions
            {
                MaxLineLength = max,
                RegistrationTimeout = TimeSpan.FromSeconds(parseResult.GetValue(registerTimeout)),
            });
            return options.RunAsync(parseResult, chat.CreateProtocol, serverOptions =>
            {
                // What the framer leaves is at most one line: keep the input bound above it.
                serverOptions.MaxInputBufferBytes = Math.Max(serverOptions.MaxInputBufferBytes, max + 2);
            }, cancellationToken);
        });
        return command;
    }
}
