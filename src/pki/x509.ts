// @peculiar/x509, made loadable: it resolves its algorithm providers through tsyringe, which
// refuses to load unless the Reflect metadata polyfill is in place first. Every module of this
// library imports x509 from here so the order cannot go wrong.
import 'reflect-metadata';

export * from '@peculiar/x509';
