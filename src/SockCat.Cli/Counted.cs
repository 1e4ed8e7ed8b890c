namespace SockCat.Cli;

/// <summary>"1 connection", "2 connections": a count and its noun, singular where the count is one.</summary>
internal static class Counted
{
    public static string Of(long count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";
}
