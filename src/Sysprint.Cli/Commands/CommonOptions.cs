using System.CommandLine;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Parsing;

namespace Sysprint.Cli.Commands;

/// <summary>Options shared by several commands, built fresh for each (System.CommandLine symbols have one parent).</summary>
internal static class CommonOptions
{
    public const string DefaultDbFile = "sysprint.db";

    public static Option<string?> Db() => new("--db")
    {
        Description = $"The store: a SQLite file, or a PostgreSQL one (postgres://USER@HOST[:PORT]/DATABASE, Host=...;Database=...). Default: $SYSPRINT_DB, else ./{DefaultDbFile}",
        HelpName = "STORE",
    };

    public static Option<string> Profile()
    {
        var option = new Option<string>("--profile")
        {
            Description = "Fingerprint profile: 'default' (one for everything, as the paper), a program's name, or 'auto' (named after each log's first execve)",
            DefaultValueFactory = _ => Storage.ProfileInfo.DefaultName,
            HelpName = "NAME",
        };
        option.Validators.Add(r =>
        {
            if (TryValue(r, out string? name) && (string.IsNullOrWhiteSpace(name) || name.Any(char.IsControl)))
            {
                r.AddError("--profile needs a name: letters, digits and punctuation, not empty");
            }
        });
        return option;
    }

    /// <summary>
    /// The option's value when it parses. A value that does not parse makes System.CommandLine throw
    /// from GetValueOrDefault inside a validator; it reports the parse error itself, so just skip.
    /// </summary>
    public static bool TryValue<T>(System.CommandLine.Parsing.OptionResult result, out T? value)
    {
        ArgumentNullException.ThrowIfNull(result);
        try
        {
            value = result.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default;
            return false;
        }
    }

    public static Option<string> Format()
    {
        var option = new Option<string>("--format")
        {
            Description = "Log format; 'auto' detects it from the first lines",
            DefaultValueFactory = _ => "auto",
        };
        option.AcceptOnlyFromAmong("auto", "strace", "nttrace", "adfa", "unm");
        return option;
    }

    public static Option<bool> LearnNames() => new("--learn-names")
    {
        Description = "Give call names missing from the mapping new stable numbers (default for NtTrace logs)",
    };

    public static Option<bool> SkipMalformed() => new("--skip-malformed")
    {
        Description = "Count and skip lines that do not fit the format instead of failing",
    };

    public static Option<int> MaxLineBytes()
    {
        var option = new Option<int>("--max-line-bytes")
        {
            Description = "Longest line accepted",
            DefaultValueFactory = _ => LogReadOptions.DefaultMaxLineBytes,
            HelpName = "BYTES",
        };
        option.Validators.Add(r =>
        {
            if (TryValue(r, out int bytes) && bytes < 256)
            {
                r.AddError("--max-line-bytes must be at least 256");
            }
        });
        return option;
    }

    public static Option<int> MaxThreads()
    {
        var option = new Option<int>("--max-threads")
        {
            Description = "Most threads a log may hold alive at once (each costs memory)",
            DefaultValueFactory = _ => LogReadOptions.DefaultMaxThreads,
            HelpName = "N",
        };
        option.Validators.Add(r =>
        {
            if (TryValue(r, out int n) && n < 1)
            {
                r.AddError("--max-threads must be at least 1");
            }
        });
        return option;
    }

    public static Option<int> MaxCalls()
    {
        var option = new Option<int>("--max-calls")
        {
            Description = $"Most distinct calls a fingerprint, or the new names of one run, may hold (up to {LogReadOptions.MaxMaxCalls})",
            DefaultValueFactory = _ => LogReadOptions.DefaultMaxCalls,
            HelpName = "N",
        };
        option.Validators.Add(r =>
        {
            if (TryValue(r, out int n) && (n < 1 || n > LogReadOptions.MaxMaxCalls))
            {
                r.AddError($"--max-calls must be from 1 to {LogReadOptions.MaxMaxCalls}");
            }
        });
        return option;
    }

    public static Option<string?> Abi()
    {
        var option = new Option<string?>("--abi")
        {
            Description = $"Built-in Linux syscall table for a new store: {string.Join(", ", SyscallTable.BuiltinAbis)} (default x86_64)",
        };
        option.AcceptOnlyFromAmong([.. SyscallTable.BuiltinAbis]);
        return option;
    }

    public static Option<string?> Mapping() => new("--mapping")
    {
        Description = "A mapping file ('<number> <name>' per line, '#' comments) instead of a built-in table",
        HelpName = "FILE",
    };

    public static Option<int?> Window()
    {
        var option = new Option<int?>("--window")
        {
            Description = $"Calls per window for a new profile: 2 is the paper's pairs, up to {Fingerprint.MaxWindow} (stide's k-grams)",
            HelpName = "K",
        };
        option.Validators.Add(r =>
        {
            if (TryValue(r, out int? k) && k is < Fingerprint.MinWindow or > Fingerprint.MaxWindow)
            {
                r.AddError($"--window must be between {Fingerprint.MinWindow} and {Fingerprint.MaxWindow}, not {k}");
            }
        });
        return option;
    }

    public static Argument<string[]> Paths()
    {
        var argument = new Argument<string[]>("PATH")
        {
            Description = "Log files, or directories searched recursively",
            Arity = ArgumentArity.OneOrMore,
        };
        // A word starting with '-' is refused as an unknown option by UsageChecks (before any '--').
        return argument;
    }

    public static Option<string?> Trust() => new("--trust")
    {
        Description = "Verify each profile's seal with this public key before use; refuse (exit 77) a fingerprint changed since sealing. Default: $SYSPRINT_TRUST",
        HelpName = "KEYFILE.pub",
    };

    /// <summary>
    /// The public key to verify seals with: <c>--trust</c>, else <paramref name="configured"/> (the
    /// agent config's <c>trust</c>), else <c>$SYSPRINT_TRUST</c>; null when none is set.
    /// </summary>
    public static string? TrustPath(ParseResult result, Option<string?> trust, CliContext context, string? configured = null)
    {
        string? path = result.GetValue(trust);
        if (string.IsNullOrEmpty(path))
        {
            path = configured;
        }

        if (string.IsNullOrEmpty(path))
        {
            path = context.Environment("SYSPRINT_TRUST");
        }

        return string.IsNullOrEmpty(path) ? null : path;
    }

    /// <summary>The seal verifier for <c>--trust</c> (or <c>$SYSPRINT_TRUST</c>), or null when neither is set.</summary>
    public static Integrity.SealVerifier? Verifier(ParseResult result, Option<string?> trust, CliContext context) =>
        TrustPath(result, trust, context) is { } path ? Integrity.SealVerifier.Load(path) : null;

    public static LogFormat ParseFormat(string value) => value switch
    {
        "strace" => LogFormat.Strace,
        "nttrace" => LogFormat.NtTrace,
        "adfa" => LogFormat.Adfa,
        "unm" => LogFormat.Unm,
        _ => LogFormat.Auto,
    };

    public static LogReadOptions ReadOptions(ParseResult result, Option<string> format, Option<bool> learnNames, Option<bool> skipMalformed, Option<int> maxLine) => new()
    {
        Format = ParseFormat(result.GetValue(format) ?? "auto"),
        LearnNames = result.GetValue(learnNames) ? true : null,
        SkipMalformed = result.GetValue(skipMalformed),
        MaxLineBytes = result.GetValue(maxLine),
    };

    /// <summary>The read options with the resource limits (<c>--max-threads</c>, <c>--max-calls</c>).</summary>
    public static LogReadOptions ReadOptions(ParseResult result, Option<string> format, Option<bool> learnNames, Option<bool> skipMalformed, Option<int> maxLine,
        Option<int> maxThreads, Option<int> maxCalls) => ReadOptions(result, format, learnNames, skipMalformed, maxLine) with
        {
            MaxThreads = result.GetValue(maxThreads),
            MaxCalls = result.GetValue(maxCalls),
        };
}
