using System.Text.Json;
using System.Text.Json.Nodes;
using Sysprint.Cli.Tests.Support;

namespace Sysprint.Cli.Tests.Commands;

/// <summary><c>sysprint seal</c>, <c>--trust</c>, <c>export</c> and <c>import</c>: a fingerprint cannot be changed unnoticed.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SealCommandTests : IDisposable
{
    private readonly CliSandbox _cli = new();
    private readonly string _db;
    private readonly string _key;

    public SealCommandTests()
    {
        _db = _cli.Db();
        _key = _cli.PathOf("admin.key");
        _cli.RunOk("train", "--db", _db, Fixtures.Strace("single_plain"));
    }

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Seal_creates_an_owner_only_key_pair_and_a_sealed_profile_passes_trust()
    {
        CliResult seal = _cli.Run("seal", "--db", _db, "--key", _key);

        Assert.Equal(0, seal.Exit);
        Assert.StartsWith("sealed   profile 'default': 37 transitions, window counts of 1 logs, digest ", seal.Out, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_key));
        Assert.True(File.Exists(_key + ".pub"));
        CliResult check = _cli.Run("check", "--db", _db, "--trust", _key + ".pub", Fixtures.Strace("single_tt"));
        Assert.Equal(0, check.Exit);
    }

    [Fact]
    public void The_seal_covers_the_window_counts_that_zstide_freq_and_callset_read()
    {
        _cli.RunOk("train", "--db", _db, "--profile", "other", Fixtures.Strace("multi_f"));
        _cli.RunOk("seal", "--db", _db, "--key", _key);

        CliResult trusted = _cli.Run("check", "--db", _db, "--trust", _key + ".pub", "--detector", "callset", Fixtures.Strace("single_tt"));
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_db};Pooling=False"))
        {
            // Tamper with the counts only, with well-formed ones (another profile's log): the
            // fingerprint (pairs) stays as sealed.
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE log_windows SET windows = (SELECT windows FROM log_windows WHERE log_id = 2) WHERE log_id = 1";
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        CliResult paper = _cli.Run("check", "--db", _db, "--trust", _key + ".pub", Fixtures.Strace("single_tt"));
        CliResult refused = _cli.Run("check", "--db", _db, "--trust", _key + ".pub", "--detector", "zstide", Fixtures.Strace("single_tt"));

        Assert.True(trusted.Exit == 0, trusted.ToString());
        Assert.Equal(0, paper.Exit);
        Assert.Equal(77, refused.Exit);
        Assert.Equal("", refused.Out);
        Assert.Matches(@"^sysprint: error: .*: the window counts of profile 'default' changed since it was sealed on .*; refusing to use them\. If the change is yours, seal it again with 'sysprint seal'\n$", refused.Error);
    }

    [Fact]
    public void A_seal_without_the_window_counts_is_refused_for_the_window_detectors_only()
    {
        _cli.RunOk("seal", "--db", _db, "--key", _key);
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_db};Pooling=False"))
        {
            // As a seal made by the previous sysprint: signed over the fingerprint digest alone.
            connection.Open();
            using var read = connection.CreateCommand();
            read.CommandText = "SELECT value FROM meta WHERE key = 'setting:seal:default'";
            JsonNode seal = JsonNode.Parse((string)read.ExecuteScalar()!)!;
            using var key = System.Security.Cryptography.ECDsa.Create();
            key.ImportFromPem(File.ReadAllText(_key));
            string digest = seal["digest"]!.GetValue<string>();
            seal["signature"] = Convert.ToBase64String(key.SignData(
                System.Text.Encoding.UTF8.GetBytes($"sysprint-fingerprint 1\ndefault\n{digest}\n"), System.Security.Cryptography.HashAlgorithmName.SHA256));
            seal.AsObject().Remove("windows_digest");
            using var write = connection.CreateCommand();
            write.CommandText = "UPDATE meta SET value = $v WHERE key = 'setting:seal:default'";
            write.Parameters.AddWithValue("$v", seal.ToJsonString());
            write.ExecuteNonQuery();
        }

        CliResult paper = _cli.Run("check", "--db", _db, "--trust", _key + ".pub", Fixtures.Strace("single_tt"));
        CliResult refused = _cli.Run("check", "--db", _db, "--trust", _key + ".pub", "--detector", "callset", Fixtures.Strace("single_tt"));

        Assert.Equal(0, paper.Exit);
        Assert.Equal(77, refused.Exit);
        Assert.Contains("the seal of profile 'default' does not cover its window counts", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Training_after_sealing_is_refused_until_sealed_again()
    {
        _cli.RunOk("seal", "--db", _db, "--key", _key);
        _cli.RunOk("train", "--db", _db, Fixtures.Strace("multi_f"));

        CliResult refused = _cli.Run("check", "--db", _db, "--trust", _key + ".pub", Fixtures.Strace("single_tt"));
        _cli.RunOk("seal", "--db", _db, "--key", _key);
        CliResult resealed = _cli.Run("check", "--db", _db, "--trust", _key + ".pub", Fixtures.Strace("single_tt"));

        Assert.Equal(77, refused.Exit);
        Assert.Equal("", refused.Out);
        Assert.Matches(@"^sysprint: error: .*: profile 'default' changed since it was sealed on .*; refusing to use it\. If the change is yours, seal it again with 'sysprint seal'\n$", refused.Error);
        Assert.Equal(0, resealed.Exit);
    }

    [Fact]
    public void Trust_from_the_environment_refuses_an_unsealed_profile()
    {
        _cli.RunOk("seal", "--db", _db, "--key", _key);
        string unsealed = _cli.Db("unsealed.db");
        _cli.RunOk("train", "--db", unsealed, Fixtures.Strace("single_plain"));
        _cli.Environment["SYSPRINT_TRUST"] = _key + ".pub";

        CliResult result = _cli.Run("check", "--db", unsealed, Fixtures.Strace("single_tt"));

        Assert.Equal(77, result.Exit);
        Assert.Equal($"sysprint: error: {unsealed}: profile 'default' is not sealed; refusing to use it with --trust (run 'sysprint seal --key KEYFILE' first)\n", result.Error);
    }

    [Fact]
    public void A_seal_made_with_another_key_is_refused()
    {
        _cli.RunOk("seal", "--db", _db, "--key", _key);
        _cli.RunOk("seal", "--db", _db, "--key", _cli.PathOf("intruder.key"));

        CliResult result = _cli.Run("check", "--db", _db, "--trust", _key + ".pub", Fixtures.Strace("single_tt"));

        Assert.Equal(77, result.Exit);
        Assert.Contains("the seal of profile 'default' was not made by the key of", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_public_key_writable_by_others_is_refused()
    {
        _cli.RunOk("seal", "--db", _db, "--key", _key);
        File.SetUnixFileMode(_key + ".pub", File.GetUnixFileMode(_key + ".pub") | UnixFileMode.OtherWrite);

        CliResult result = _cli.Run("check", "--db", _db, "--trust", _key + ".pub", Fixtures.Strace("single_tt"));

        Assert.Equal(77, result.Exit);
        Assert.Contains("writable by group or others", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_and_import_move_a_sealed_fingerprint_to_another_store()
    {
        _cli.RunOk("seal", "--db", _db, "--key", _key);
        string file = _cli.PathOf("default.json");
        _cli.RunOk("export", "--db", _db, "-o", file);
        string other = _cli.Db("host2.db");

        CliResult import = _cli.Run("import", "--db", other, "--trust", _key + ".pub", file);
        CliResult check = _cli.Run("check", "--db", other, "--trust", _key + ".pub", Fixtures.Strace("single_tt"));

        Assert.Equal(0, import.Exit);
        Assert.Equal("imported profile 'default' (37 transitions, window 2, window counts of 1 logs), seal verified\n", import.Out);
        Assert.Equal(0, check.Exit);
        Assert.Equal(_cli.RunOk("show", "--db", _db).Out, _cli.RunOk("show", "--db", other).Out);
    }

    [Fact]
    public void Import_of_an_existing_profile_needs_replace_which_swaps_the_whole_profile()
    {
        _cli.RunOk("seal", "--db", _db, "--key", _key);
        string file = _cli.PathOf("default.json");
        _cli.RunOk("export", "--db", _db, "-o", file);
        string other = _cli.Db("host2.db");
        _cli.RunOk("train", "--db", other, Fixtures.Strace("multi_f"));
        string before = _cli.RunOk("show", "--db", other).Out;

        CliResult refused = _cli.Run("import", "--db", other, file);
        CliResult replaced = _cli.Run("import", "--db", other, "--replace", "--trust", _key + ".pub", file);

        Assert.Equal(64, refused.Exit);
        Assert.Equal($"sysprint: error: {other}: profile 'default' exists already; add --replace to replace it with the exported one, or import into another store\n", refused.Error);
        Assert.Equal(0, replaced.Exit);
        Assert.Equal("replaced profile 'default' (37 transitions, window 2, window counts of 1 logs), seal verified\n", replaced.Out);
        Assert.NotEqual(before, _cli.RunOk("show", "--db", other).Out);
        Assert.Equal(_cli.RunOk("show", "--db", _db).Out, _cli.RunOk("show", "--db", other).Out);
        Assert.Equal(0, _cli.Run("check", "--db", other, "--trust", _key + ".pub", Fixtures.Strace("single_tt")).Exit);
    }

    [Fact]
    public void Import_replace_refused_by_trust_leaves_the_old_profile_in_place()
    {
        string file = _cli.PathOf("default.json");
        _cli.RunOk("export", "--db", _db, "-o", file);
        _cli.RunOk("seal", "--db", _db, "--key", _key);
        string before = _cli.RunOk("show", "--db", _db).Out;

        CliResult result = _cli.Run("import", "--db", _db, "--replace", "--trust", _key + ".pub", file);

        Assert.Equal(77, result.Exit);
        Assert.Equal(before, _cli.RunOk("show", "--db", _db).Out);
        Assert.Equal(0, _cli.Run("check", "--db", _db, "--trust", _key + ".pub", Fixtures.Strace("single_tt")).Exit);
    }

    [Fact]
    public void Profile_delete_removes_the_profile_and_its_seal_and_names_the_others_when_missing()
    {
        _cli.RunOk("train", "--db", _db, "--profile", "other", Fixtures.Strace("multi_f"));
        _cli.RunOk("seal", "--db", _db, "--key", _key);

        CliResult deleted = _cli.Run("profile", "--db", _db, "--delete", "other");
        CliResult again = _cli.Run("profile", "--db", _db, "--delete", "other");
        CliResult mixed = _cli.Run("profile", "--db", _db, "--delete", "default", "--threshold", "1");

        Assert.Equal(0, deleted.Exit);
        Assert.StartsWith("deleted profile 'other': ", deleted.Out, StringComparison.Ordinal);
        Assert.EndsWith(" transitions, 1 learnt logs, window counts and seal (its checks and alerts stay in the history)\n", deleted.Out, StringComparison.Ordinal);
        Assert.Equal(66, again.Exit);
        Assert.Equal($"sysprint: error: {_db}: no profile 'other' (profiles: default)\n", again.Error);
        Assert.Equal(64, mixed.Exit);
        Assert.Equal("sysprint: error: --delete NAME takes no --profile, --detector, --threshold or --false-alarms\n", mixed.Error);
        Assert.Equal(0, _cli.Run("check", "--db", _db, "--trust", _key + ".pub", Fixtures.Strace("single_tt")).Exit);
        Assert.Equal(66, _cli.Run("check", "--db", _db, "--profile", "other", Fixtures.Strace("single_tt")).Exit);
    }

    [Fact]
    public void An_imported_profile_keeps_its_window_counts_and_their_seal()
    {
        _cli.RunOk("train", "--db", _db, Fixtures.Strace("multi_f"));
        _cli.RunOk("seal", "--db", _db, "--key", _key);
        string file = _cli.PathOf("default.json");
        _cli.RunOk("export", "--db", _db, "-o", file);
        string other = _cli.Db("host2.db");
        _cli.RunOk("import", "--db", other, "--trust", _key + ".pub", file);

        foreach (string detector in new[] { "zstide", "freq", "callset" })
        {
            CliResult here = _cli.Run("check", "--db", _db, "--trust", _key + ".pub", "--detector", detector, "--json", Fixtures.Strace("single_tt"), Fixtures.Strace("multi_f_tt_T"));
            CliResult there = _cli.Run("check", "--db", other, "--trust", _key + ".pub", "--detector", detector, "--json", Fixtures.Strace("single_tt"), Fixtures.Strace("multi_f_tt_T"));

            Assert.True(there.Exit is 0 or 1, there.ToString());
            Assert.Equal(here.Exit, there.Exit);
            Assert.Equal(here.Out, there.Out);
        }
    }

    [Fact]
    public void An_export_with_changed_window_counts_is_refused_with_trust()
    {
        _cli.RunOk("train", "--db", _db, Fixtures.Strace("multi_f"));
        _cli.RunOk("seal", "--db", _db, "--key", _key);
        string file = _cli.PathOf("default.json");
        _cli.RunOk("export", "--db", _db, "-o", file);
        JsonNode export = JsonNode.Parse(File.ReadAllText(file))!;
        JsonArray logs = export["logs"]!.AsArray();
        logs[0]!["windows"] = logs[1]!["windows"]!.GetValue<string>();
        File.WriteAllText(file, export.ToJsonString());
        string other = _cli.Db("host2.db");

        CliResult result = _cli.Run("import", "--db", other, "--trust", _key + ".pub", file);

        Assert.Equal(77, result.Exit);
        Assert.Contains("the window counts of profile 'default' changed since it was sealed", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(other));
    }

    [Fact]
    public void A_tampered_export_is_refused_and_leaves_no_store()
    {
        _cli.RunOk("seal", "--db", _db, "--key", _key);
        string file = _cli.PathOf("default.json");
        _cli.RunOk("export", "--db", _db, "-o", file);
        JsonNode export = JsonNode.Parse(File.ReadAllText(file))!;
        export["grams"]!.AsArray().Add("257 41");
        export["names"]!["41"] = "socket";
        File.WriteAllText(file, export.ToJsonString());
        string other = _cli.Db("host2.db");

        CliResult result = _cli.Run("import", "--db", other, "--trust", _key + ".pub", file);

        Assert.Equal(77, result.Exit);
        Assert.Contains("profile 'default' changed since it was sealed", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(other));
    }

    [Fact]
    public void Export_is_json_with_the_grams_and_the_seal()
    {
        _cli.RunOk("seal", "--db", _db, "--key", _key);
        string file = _cli.PathOf("default.json");

        _cli.RunOk("export", "--db", _db, "-o", file);

        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(file));
        Assert.Equal("sysprint-export 1", doc.RootElement.GetProperty("format").GetString());
        Assert.Equal(57, doc.RootElement.GetProperty("grams").GetArrayLength());
        Assert.Equal("openat", doc.RootElement.GetProperty("names").GetProperty("257").GetString());
        Assert.Equal(JsonValueKind.Object, doc.RootElement.GetProperty("seal").ValueKind);
        JsonElement log = Assert.Single(doc.RootElement.GetProperty("logs").EnumerateArray());
        Assert.Equal(64, log.GetProperty("sha256").GetString()!.Length);
        Assert.True(log.GetProperty("windows").GetBytesFromBase64().Length > 10);
    }
}
