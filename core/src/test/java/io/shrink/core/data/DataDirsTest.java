package io.shrink.core.data;

import io.shrink.core.ShrinkException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataDirsTest {
    @TempDir
    Path tmp;

    @Test
    void optionBeatsEnvironment() {
        Path other = tmp.resolve("other");
        assertEquals(tmp, DataDirs.resolve(DataDirs.Kind.GLUE, tmp, Map.of("GLUE_DIR", other.toString())));
        assertEquals(tmp, DataDirs.resolve(DataDirs.Kind.SQUAD, null, Map.of("SQUAD_DIR", tmp.toString())));
    }

    @Test
    void neitherNamesBoth() {
        ShrinkException e = assertThrows(ShrinkException.class,
                () -> DataDirs.resolve(DataDirs.Kind.IMDB, null, Map.of()));
        assertEquals(ShrinkException.Kind.USAGE, e.kind());
        assertTrue(e.getMessage().contains("--imdb-dir") && e.getMessage().contains("IMDB_DIR"), e.getMessage());
    }

    @Test
    void missingDirectoryIsMissingData() {
        ShrinkException e = assertThrows(ShrinkException.class,
                () -> DataDirs.resolve(DataDirs.Kind.GLUE, null, Map.of("GLUE_DIR", tmp.resolve("nope").toString())));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind());
        assertTrue(e.getMessage().contains("from GLUE_DIR"), e.getMessage());
    }
}
