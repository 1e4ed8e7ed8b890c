using System.CommandLine;
using System.Globalization;
using SockCat.Endpoints;

namespace SockCat.Cli;

/// <summary>Options and arguments several verbs share, so they are spelled and checked the same way everywhere.</summary>
internal static class CommonOptions
{
    public static Argument<string> Url(string description)
    {
        var argument = new Argument<string>("url") { Description = description };
        // An unknown option would otherwise be taken for the URL, and the URL reported as the unexpected word.
        argument.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && result.Tokens[0].Value.StartsWith('-'))
            {
                result.AddError($"unknown option '{result.Tokens[0].Value}'");
            }
        });
        return argument;
    }

    public static Option<bool> Crlf() => new("--crlf", "-C")
    {
        Description = "Send each newline from stdin as CRLF (\\r\\n), as telnet-style servers expect",
    };

    public static Option<double?> IdleTimeout() => Seconds(
        new Option<double?>("--idle-timeout", "-i")
        {
            Description = "Close the connection when nothing is sent or received for this many seconds",
            HelpName = "seconds",
        });

    /// <summary>A number of seconds over 0; anything else is a one-line usage error naming the option.</summary>
    public static Option<double?> Seconds(Option<double?> option, string example = "5") => option.Real(NumberRule.Seconds(example));

    public static TimeSpan? ToTimeSpan(double? seconds) => seconds is { } s ? TimeSpan.FromSeconds(s) : null;

    /// <summary>Parses the URL argument; a bad one becomes an <see cref="EndpointFormatException"/>, reported as a usage error.</summary>
    public static EndpointUrl ParseUrl(string? text) => EndpointUrl.Parse(text ?? "");

    public static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

    public static TextWriter ErrorWriter(ParseResult parseResult) => parseResult.InvocationConfiguration.Error ?? Console.Error;
}
