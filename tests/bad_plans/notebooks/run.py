# Databricks notebook source
print(1)
