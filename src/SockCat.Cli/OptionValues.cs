using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace SockCat.Cli;

/// <summary>A number an option takes: its unit, its range and a value that works, for the one line a bad value gets.</summary>
/// <param name="Unit">"seconds", "bytes", "connections"…; empty for a bare number.</param>
/// <param name="Example">A value to show after "e.g." (the default, or a typical one).</param>
/// <param name="Min">The smallest value allowed.</param>
/// <param name="MinExclusive">True: <paramref name="Min"/> itself is not allowed ("more than 0 seconds").</param>
/// <param name="Max">The largest value allowed.</param>
internal sealed record NumberRule(string Unit, string Example, double Min = double.MinValue, bool MinExclusive = false, double Max = double.MaxValue)
{
    /// <summary>Any number of seconds over 0 that a timer can hold (milliseconds in an int).</summary>
    public static NumberRule Seconds(string example) => new("seconds", example, 0, MinExclusive: true, Max: int.MaxValue / 1000.0);

    /// <summary>0 seconds or more.</summary>
    public static NumberRule SecondsOrZero(string example) => new("seconds", example, 0, Max: int.MaxValue / 1000.0);
}

/// <summary>
/// Option values checked as they are parsed, each failure one line that names the option and shows a value that works.
/// System.CommandLine's own messages name a .NET type (<c>System.Nullable`1[System.Double]</c>) for a bad number and
/// span several tab-indented lines for a bad choice.
/// </summary>
internal static class OptionValues
{
    public static Option<int> Whole(this Option<int> option, NumberRule rule) => Set(option, rule, whole: true, v => (int)v);

    public static Option<int?> Whole(this Option<int?> option, NumberRule rule) => Set<int?>(option, rule, whole: true, v => (int)v);

    public static Option<long?> Whole(this Option<long?> option, NumberRule rule) => Set<long?>(option, rule, whole: true, v => (long)v);

    public static Option<double> Real(this Option<double> option, NumberRule rule) => Set(option, rule, whole: false, v => v);

    public static Option<double?> Real(this Option<double?> option, NumberRule rule) => Set<double?>(option, rule, whole: false, v => v);

    /// <summary>Accepts only <paramref name="values"/> (and offers them to shell completion).</summary>
    public static Option<T> OneOf<T>(this Option<T> option, params string[] values)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && !values.Contains(result.Tokens[0].Value, StringComparer.Ordinal))
            {
                result.AddError($"{Names(option)}: unknown value '{result.Tokens[0].Value}'; use {List(values)}");
            }
        });
        option.CompletionSources.Add(values);
        return option;
    }

    /// <summary>
    /// Gives every numeric option under <paramref name="command"/> that has no parser of its own the one-line wording,
    /// so an option added without <c>Whole</c> or <c>Real</c>
    /// still never shows a .NET type name.
    /// </summary>
    public static void CheckAllNumbers(Command command)
    {
        foreach (var option in command.Options)
        {
            var unit = option.HelpName?.ToLowerInvariant() is "seconds" or "bytes" ? option.HelpName.ToLowerInvariant() : "";
            var rule = new NumberRule(unit, "1");
            switch (option)
            {
                case Option<int> { CustomParser: null } o: o.Whole(rule); break;
                case Option<int?> { CustomParser: null } o: o.Whole(rule); break;
                case Option<long?> { CustomParser: null } o: o.Whole(rule); break;
                case Option<double> { CustomParser: null } o: o.Real(rule); break;
                case Option<double?> { CustomParser: null } o: o.Real(rule); break;
            }
        }

        foreach (var sub in command.Subcommands)
        {
            CheckAllNumbers(sub);
        }
    }

    /// <summary>"-d/--duration": every spelling, short first, as a user may have typed either.</summary>
    public static string Names(Option option) =>
        string.Join('/', option.Aliases.Append(option.Name).Distinct().OrderBy(a => a.StartsWith("--", StringComparison.Ordinal)));

    /// <summary>The shortest spelling, for examples.</summary>
    public static string Short(Option option) => option.Aliases.Append(option.Name).MinBy(a => a.Length)!;

    private static Option<T> Set<T>(Option<T> option, NumberRule rule, bool whole, Func<double, T> convert)
    {
        option.CustomParser = result =>
        {
            if (result.Tokens.Count == 0)
            {
                return option.HasDefaultValue ? (T?)option.GetDefaultValue() : default;
            }

            var text = result.Tokens[0].Value;
            if (Parse(result, option, rule, whole, text) is { } value)
            {
                return convert(value);
            }

            return default;
        };
        return option;
    }

    private static double? Parse(ArgumentResult result, Option option, NumberRule rule, bool whole, string text)
    {
        var unit = rule.Unit.Length > 0 ? " " + rule.Unit : "";
        var example = $"e.g. {Short(option)} {rule.Example}";
        var styles = whole ? NumberStyles.AllowLeadingSign : NumberStyles.Float;
        if (!double.TryParse(text, styles, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            var what = whole ? "a whole number" : "a number";
            result.AddError($"{Names(option)}: '{text}' is not {what}{(unit.Length > 0 ? " of" + unit : "")}; {example}");
            return null;
        }

        if (value < rule.Min || (rule.MinExclusive && value <= rule.Min))
        {
            var floor = rule.MinExclusive ? $"more than {Amount(rule.Min, rule.Unit)}" : $"{Amount(rule.Min, rule.Unit)} or more";
            result.AddError($"{Names(option)}: {text} is too small; give {floor}, {example}");
            return null;
        }

        if (value > rule.Max)
        {
            result.AddError($"{Names(option)}: {text} is too large; give at most {Amount(rule.Max, rule.Unit)}, {example}");
            return null;
        }

        return value;
    }

    /// <summary>"a, b or c".</summary>
    private static string List(string[] values) =>
        values.Length == 1 ? values[0] : $"{string.Join(", ", values[..^1])} or {values[^1]}";

    /// <summary>"0 seconds", "1 client", "1024": the unit singular where the number is one.</summary>
    private static string Amount(double value, string unit)
    {
        var number = value.ToString("0.###", CultureInfo.InvariantCulture);
        return unit.Length == 0 ? number : value == 1 && unit.EndsWith('s') ? $"1 {unit[..^1]}" : $"{number} {unit}";
    }
}
