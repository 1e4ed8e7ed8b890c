using System.CommandLine;
using System.Globalization;
using SockCat.Endpoints;

namespace SockCat.Cli;

/// <summary>Options and arguments several verbs share, so they are spelled and checked the same way everywhere.</summary>
internal static class CommonOptions
{
    public static Argument<string> Url(string description)
    {
        return NoOptions(new Argument<string>("url") { Description = description });
    }

    /// <summary>
    /// Reports a word that starts with '-' as an unknown option: System.CommandLine would take it for the URL, and report
    /// the URL as the unexpected word (or the URL parser would say "no port in '--bogus'").
    /// </summary>
    public static Argument<T> NoOptions<T>(Argument<T> argument)
    {
        argument.Validators.Add(result =>
        {
            if (result.Tokens.FirstOrDefault(t => t.Value.StartsWith('-') && t.Value.Length > 1) is { } token)
            {
                result.AddError($"unknown option '{token.Value}'");
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
