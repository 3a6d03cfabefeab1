package io.shrink.core.results;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ProvenanceTest {
    @Test
    void fileChecksumIsItsSha256(@TempDir Path tmp) throws Exception {
        Path f = Files.writeString(tmp.resolve("abc.txt"), "abc");
        Provenance.DataFile d = Provenance.DataFile.of(f);
        assertEquals(3, d.bytes());
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", d.sha256());
    }

    /** The expected digest is what the pipeline documented on DataFile prints for the same tree. */
    @Test
    void directoryChecksumIsTheSha256OfItsSortedSha256sumListing(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("tree"));
        Files.createDirectories(dir.resolve("a"));
        Files.writeString(dir.resolve("b.txt"), "");
        Files.writeString(dir.resolve("a/z é.txt"), "é\n", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("a/x.txt"), "abc");
        Provenance.DataFile d = Provenance.DataFile.of(dir);
        assertEquals(6, d.bytes());
        assertEquals("d99b2eff02f8b414d878400a33d959b223ee4e7fcdda61631a103427c5863f58", d.sha256());
        assertEquals(dir.toAbsolutePath().normalize().toString(), d.path());
    }
}
