using Sysprint.App.Learning;
using Sysprint.App.Profiles;
using Sysprint.Diagnostics;
using Sysprint.Parsing;
using Sysprint.Storage.Sqlite;

namespace Sysprint.App.Tests.Profiles;

/// <summary>ExportService then ImportService between two real stores: what export and import do.</summary>
public sealed class ImportServiceTests : StoreFixture
{
    [Fact]
    public void A_profile_exported_and_imported_elsewhere_has_the_same_fingerprint_and_a_second_import_needs_replace()
    {
        Assert.Null(new LearnService(Store, Table, new LogReadOptions()).Learn(Log("normal.strace", Logs.Normal), "default", window: null).Error);
        string file = Dir.PathOf("default.json");
        ExportService.Export(Store, Table, "default", file);
        using var other = SqliteFingerprintStore.Open(Dir.PathOf("other.db"), createIfMissing: true);
        var table = Mapping.SyscallTable.Builtin("x86_64");
        other.SaveMapping(table);

        ProfileImport read = ImportService.Read(file);
        ImportResult first = ImportService.Import(other, table, read, file, replace: false);
        var again = Assert.Throws<SysprintException>(() => ImportService.Import(other, table, read, file, replace: false));
        ImportResult replaced = ImportService.Import(other, table, read, file, replace: true);

        Assert.Equal(("default", false, 1), (first.Profile, first.Replaced, first.Logs));
        Assert.Equal(Store.LoadFingerprint(Store.FindProfile("default")!).TransitionCount, first.Transitions);
        Assert.Equal(first.Transitions, other.LoadFingerprint(other.FindProfile("default")!).TransitionCount);
        Assert.Equal((ErrorKind.Usage, $"{other.Location}: profile 'default' exists already", RemedyKind.ReplaceProfile),
            (again.Kind, again.Message, again.Remedy?.Kind));
        Assert.True(replaced.Replaced);
    }

    [Fact]
    public void A_file_that_is_not_an_export_is_refused_before_any_store_is_touched()
    {
        string file = Log("not-an-export.json", "{\"format\": \"something else\"}");

        var ex = Assert.Throws<SysprintException>(() => ImportService.Read(file));

        Assert.Equal((ErrorKind.MalformedInput, $"{file}: not a sysprint export (format 'something else')"), (ex.Kind, ex.Message));
    }

    [Fact]
    public void An_export_listing_a_learnt_log_twice_is_refused()
    {
        Assert.Null(new LearnService(Store, Table, new LogReadOptions()).Learn(Log("normal.strace", Logs.Normal), "default", window: null).Error);
        string file = Dir.PathOf("default.json");
        ExportService.Export(Store, Table, "default", file);
        string text = File.ReadAllText(file);
        int open = text.IndexOf("\"logs\": [", StringComparison.Ordinal) + "\"logs\": [".Length;
        int close = text.IndexOf(']', open);
        string log = text[open..close].Trim();
        File.WriteAllText(file, text[..open] + log + "," + log + text[close..]);

        var ex = Assert.Throws<SysprintException>(() => ImportService.Read(file));

        Assert.Equal((ErrorKind.MalformedInput, $"{file}: a learnt log is listed twice"), (ex.Kind, ex.Message));
    }
}
