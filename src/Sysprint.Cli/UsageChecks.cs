using System.CommandLine;
using System.CommandLine.Parsing;

namespace Sysprint.Cli;

/// <summary>
/// What System.CommandLine lets through or says too plainly: a misspelt option taken as an
/// argument (<c>watch --alert-jsonl x.jsonl SPOOL</c> once ran with two extra "spools" and no sink),
/// and unknown commands or options without a suggestion.
/// </summary>
internal static class UsageChecks
{
    /// <summary>
    /// The first argument value that looks like an option (starts with <c>-</c>, before any
    /// <c>--</c>), as an error naming the nearest real option; null when there is none.
    /// </summary>
    public static string? OptionTakenAsArgument(ParseResult parsed)
    {
        var bound = new HashSet<Token>(ReferenceEqualityComparer.Instance);
        foreach (SymbolResult child in parsed.CommandResult.Children)
        {
            if (child is ArgumentResult argument)
            {
                foreach (Token token in argument.Tokens)
                {
                    bound.Add(token);
                }
            }
        }

        foreach (Token token in parsed.Tokens)
        {
            if (token.Type == TokenType.DoubleDash)
            {
                return null;
            }

            if (bound.Contains(token) && token.Value.Length > 1 && token.Value[0] == '-' && !double.TryParse(token.Value, System.Globalization.CultureInfo.InvariantCulture, out _))
            {
                string name = CommandName(parsed);
                string? near = Nearest(token.Value, OptionNames(parsed.CommandResult.Command));
                return $"unknown option '{token.Value}' for '{name}'" + (near is null ? "" : $" (did you mean '{near}'?)")
                    + "; to pass an argument that starts with '-', put it after '--'";
            }
        }

        return null;
    }

    /// <summary>System.CommandLine's error, with the nearest command or option when the user misspelt one.</summary>
    public static string WithSuggestion(string message, ParseResult parsed)
    {
        const string Prefix = "Unrecognized command or argument '";
        if (!message.StartsWith(Prefix, StringComparison.Ordinal) || !message.EndsWith("'.", StringComparison.Ordinal))
        {
            return message;
        }

        string word = message[Prefix.Length..^2];
        Command command = parsed.CommandResult.Command;
        IEnumerable<string> candidates = word.StartsWith('-')
            ? OptionNames(command)
            : command.Subcommands.SelectMany(c => c.Aliases.Prepend(c.Name));
        string? near = Nearest(word, candidates);
        return near is null ? message : $"{message[..^1]} (did you mean '{near}'?)";
    }

    /// <summary>True for the error System.CommandLine adds beside an unknown command (noise then).</summary>
    public static bool IsMissingCommand(string message) => message == "Required command was not provided.";

    private static string CommandName(ParseResult parsed)
    {
        var names = new List<string>();
        for (SymbolResult? result = parsed.CommandResult; result is CommandResult command && command.Parent is not null; result = command.Parent)
        {
            names.Add(command.Command.Name);
        }

        names.Reverse();
        return names.Count == 0 ? "sysprint" : string.Join(' ', names);
    }

    private static IEnumerable<string> OptionNames(Command command)
    {
        for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
        {
            foreach (Option option in c.Options)
            {
                if (c == command || option.Recursive)
                {
                    yield return option.Name;
                    foreach (string alias in option.Aliases)
                    {
                        yield return alias;
                    }
                }
            }
        }
    }

    /// <summary>The candidate closest to <paramref name="word"/> by edit distance, if close enough to be a typo.</summary>
    internal static string? Nearest(string word, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in candidates.Distinct(StringComparer.Ordinal))
        {
            int distance = Distance(word, candidate);
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        // A typo: a third of the word at most (two letters swapped cost 2).
        return best is not null && bestDistance <= Math.Max(2, word.Length / 3) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        int[] previous = new int[b.Length + 1];
        int[] current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
