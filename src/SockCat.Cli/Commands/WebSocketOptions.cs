using System.CommandLine;

namespace SockCat.Cli.Commands;

/// <summary>What `connect ws://` takes besides connect's own options, as websocat and wscat name them.</summary>
internal sealed class WebSocketOptions
{
    public Option<bool> Binary { get; } = new("--binary")
    {
        Description = "ws: send each read of stdin as one binary message, and write messages as they come, no newline added (default: a line is a text message)",
    };

    public Option<string[]> Headers { get; } = new("--header", "-H")
    {
        HelpName = "'Name: value'",
        Description = "ws: add a header to the upgrade request (repeatable)",
    };

    public Option<string?> Origin { get; } = new("--origin")
    {
        HelpName = "url",
        Description = "ws: send this Origin, as a page from it would (servers that check origins refuse others)",
    };

    public Option<string[]> SubProtocols { get; } = new("--subprotocol")
    {
        HelpName = "name",
        Description = "ws: offer this subprotocol (repeatable, in order of preference)",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Binary);
        command.Options.Add(Headers);
        command.Options.Add(Origin);
        command.Options.Add(SubProtocols);
    }

    public WebSocketSettings Read(ParseResult parseResult)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var header in parseResult.GetValue(Headers) ?? [])
        {
            var colon = header.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || header[..colon].Any(char.IsWhiteSpace))
            {
                throw new CliException($"--header '{header}' is not a header; give Name: value, e.g. --header 'Authorization: Bearer abc'", ExitCodes.Usage);
            }

            headers.Add(new(header[..colon], header[(colon + 1)..].Trim()));
        }

        var origin = parseResult.GetValue(Origin);
        var subProtocols = parseResult.GetValue(SubProtocols) ?? [];
        var binary = parseResult.GetValue(Binary);
        var given = binary ? "--binary" : headers.Count > 0 ? "--header" : origin is not null ? "--origin" : subProtocols.Length > 0 ? "--subprotocol" : null;
        return new WebSocketSettings(binary, headers, origin, subProtocols, given);
    }
}

/// <summary>The WebSocket options as read; <see cref="Given"/> names the first one given, for the line that says it does not apply.</summary>
internal sealed record WebSocketSettings(bool Binary, IReadOnlyList<KeyValuePair<string, string>> Headers, string? Origin, IReadOnlyList<string> SubProtocols, string? Given);
