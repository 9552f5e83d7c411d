#!/usr/bin/env node
// The installed `meridian` command. A committed file rather than dist/cli.js itself, so
// that a fresh workspace install can link the command before anything is built.
import '../dist/cli.js';
