// The refused-upload interop suite against the hearth server.
import { refusedUploadSuite } from './refused-upload-suite.ts';

refusedUploadSuite('hearth');
