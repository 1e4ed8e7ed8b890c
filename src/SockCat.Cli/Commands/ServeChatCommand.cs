using System.CommandLine;
using SockCat.Endpoints;
using SockCat.Redis;
using SockCat.Server;
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
        var options = new ServeOptions { WebSide = true };
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
        var protocol = new Option<string>("--protocol")
        {
            Description = "What clients speak: auto (told apart by the first line: NICK, USER, CAP or PASS is IRC), line (telnet and nc) or irc; an irc://HOST:PORT listener speaks IRC whatever this says",
            DefaultValueFactory = _ => "auto",
        }.OneOf("auto", "line", "irc");
        var pingInterval = new Option<double>("--ping-interval")
        {
            HelpName = "SECONDS",
            Description = "Send an IRC client silent for SECONDS a PING, and disconnect it when it stays silent as long again",
            DefaultValueFactory = _ => 90,
        }.Real(NumberRule.Seconds("90"));
        var web = new Option<string[]>("--web")
        {
            HelpName = "URL",
            Description = "Serve the chat page to browsers at URL (http://HOST:PORT/PATH, or https://), on the same rooms; repeatable",
        };
        var resume = new Option<double>("--resume-window")
        {
            HelpName = "SECONDS",
            Description = "A browser that lost its connection keeps its nick and rooms for SECONDS while it reconnects; 0: it leaves at once",
            DefaultValueFactory = _ => 30,
        }.Real(NumberRule.SecondsOrZero("30"));
        var redis = new Option<string?>("--redis")
        {
            HelpName = "URL",
            Description = "Join other chat nodes into one chat through Redis at URL (redis://HOST:PORT), or a Redis Cluster (redis://HOST:PORT,HOST:PORT,... its seeds): rooms, private messages, members and nicks across nodes",
        };
        var claimExpiry = new Option<double>("--redis-claim-expiry")
        {
            HelpName = "SECONDS",
            Description = "With --redis: a node that stops (killed, cut off) frees its nicks, and the others drop its users, within SECONDS",
            DefaultValueFactory = _ => 30,
        }.Real(new NumberRule("seconds", "30", Min: 1, Max: 86_400));
        var command = new Command("chat", """
            Chat rooms, private rooms and private messages, for people at telnet or nc and for IRC clients on the same port
            (told apart by their first line). Line protocol: /nick NAME, /join ROOM [KEY], /msg NICK TEXT, /help; a plain line
            goes to your current room and arrives as [#room] <alice> hello. A client that stops reading is cut (--max-queue),
            and its rooms are told; the others go on.
            Examples:
              sockcat serve chat tcp://0.0.0.0:6667
              sockcat serve chat tcp://127.0.0.1:4444 --max-line 1024 --flood 5
              sockcat serve chat tcp://0.0.0.0:4444 irc://0.0.0.0:6667
              sockcat serve chat tcp://0.0.0.0:4444 --web http://127.0.0.1:8080     the chat page at http://127.0.0.1:8080/
              sockcat serve chat tcp://0.0.0.0:4444 --redis redis://127.0.0.1:6379      one chat over several such nodes
              nc 127.0.0.1 4444        then: /nick alice, /join lobby, hello
            Stop with Ctrl+C: it stops accepting, lets clients finish for --drain seconds, and prints a summary.
            """);
        options.AddTo(command);
        command.Options.Add(maxLine);
        command.Options.Add(registerTimeout);
        command.Options.Add(flood);
        command.Options.Add(protocol);
        command.Options.Add(pingInterval);
        command.Options.Add(web);
        // --web's URLs are listeners of the same server, beside the URL arguments.
        options.EndpointTexts = p => [.. p.GetValue(options.Endpoints) ?? [], .. p.GetValue(web) ?? []];
        command.Options.Add(resume);
        command.Options.Add(redis);
        command.Options.Add(claimExpiry);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var webUrls = parseResult.GetValue(web) ?? [];
            foreach (var url in webUrls)
            {
                if (!EndpointUrl.TryParse(url, out var parsed, out _) || !parsed!.IsWeb)
                {
                    parseResult.InvocationConfiguration.Error.WriteLine($"sockcat: --web '{url}' is not a web address; write http://HOST:PORT (or https://), e.g. --web http://127.0.0.1:8080");
                    return ExitCodes.Usage;
                }
            }

            var max = parseResult.GetValue(maxLine);
            var rate = parseResult.GetValue(flood);
            var busLogs = new DeferredLoggerFactory();
            RedisChatBus? bus = null;
            if (parseResult.GetValue(redis) is { } redisUrl)
            {
                var error = parseResult.InvocationConfiguration.Error;
                try
                {
                    bus = await RedisChatBus.ConnectAsync(redisUrl, new RedisChatBusOptions
                    {
                        ClaimExpiry = TimeSpan.FromSeconds(parseResult.GetValue(claimExpiry)),
                    }, busLogs, cancellationToken);
                }
                catch (FormatException e)
                {
                    error.WriteLine($"sockcat: --redis: {e.Message}");
                    return ExitCodes.Usage;
                }
                catch (IOException e)
                {
                    error.WriteLine($"sockcat: {e.Message}; start redis-server there, or point --redis at a running one");
                    return ExitCodes.ConnectFailed;
                }
            }

            await using var busLifetime = bus;
            if (bus is not null && !parseResult.GetValue(options.Quiet))
            {
                parseResult.InvocationConfiguration.Error.WriteLine(
                    $"sockcat: chat node {bus.NodeId} joined through {(bus.IsCluster ? "the Redis Cluster" : "Redis")} at {parseResult.GetValue(redis)}");
            }

            var hub = new ChatHub(new ChatOptions
            {
                FloodMessagesPerSecond = rate,
                FloodBurst = Math.Max(1, (int)Math.Min(int.MaxValue, Math.Ceiling(rate * 2))),
            }, bus);
            var chat = new ChatService(hub, new ChatServiceOptions
            {
                MaxLineLength = max,
                RegistrationTimeout = TimeSpan.FromSeconds(parseResult.GetValue(registerTimeout)),
                Protocol = parseResult.GetValue(protocol) switch
                {
                    "line" => ChatProtocolMode.Line,
                    "irc" => ChatProtocolMode.Irc,
                    _ => ChatProtocolMode.Auto,
                },
                Irc = new IrcOptions { PingInterval = TimeSpan.FromSeconds(parseResult.GetValue(pingInterval)) },
                WebResumeWindow = TimeSpan.FromSeconds(parseResult.GetValue(resume)),
            });
            var ircListener = new Dictionary<string, Func<IConnection, IConnectionProtocol>>
            {
                ["irc"] = connection => chat.CreateProtocolFor(connection, ChatProtocolMode.Irc),
            };
            return await options.RunAsync(parseResult, chat.CreateProtocol, serverOptions =>
            {
                // What the framer leaves is at most one line: keep the input bound above it.
                serverOptions.MaxInputBufferBytes = Math.Max(serverOptions.MaxInputBufferBytes, max + 2);
                serverOptions.Web.MapRoutes = chat.MapRoutes;
            }, cancellationToken, new ServeHooks
            {
                Logging = factory => busLogs.Target = factory,
                ProtocolSchemes = ircListener,
                Stopped = async () =>
                {
                    // Before the serve command's log closes: leaving the other nodes logs (and their goodbyes may arrive).
                    if (bus is not null)
                    {
                        await bus.DisposeAsync();
                    }

                    busLogs.Target = null;
                },
            });
        });
        return command;
    }
}
